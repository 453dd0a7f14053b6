# eimza-agent (masaüstü yardımcı program) metinleri.

agent-about = eimza yardımcı programı: e-İmza kartınızla ilgili adımları kendi bilgisayarınızda güvenle yapar ve yenileme başvurunuzu bilgi işlem birimine bildirir.
cli-usage = Kullanım:
cli-commands = Komutlar:
cli-value-name = AD
cli-value-path = YOL
cli-value-method = YÖNTEM
cli-value-code = KOD
cli-value-seconds = SANİYE
cli-options = Seçenekler:
cli-command-placeholder = KOMUT
cli-usage-error = Komut satırı anlaşılmadı: “{ $argument }”. Kullanılabilir komutları ve seçenekleri görmek için: eimza-agent --help
cli-usage-error-plain = Komut satırı anlaşılmadı. Kullanılabilir komutları ve seçenekleri görmek için: eimza-agent --help

## Komut satırı

cli-card-about = Kart okuyucuyu ve e-İmza kartını denetler; bilgi işlem biriminin telefonda okuyabileceği bir denetim raporu yazar
cli-card-json = Raporu makineler için JSON olarak yazar
cli-card-sign-test = PIN'inizi sorar, kartla rastgele bir metni imzalar ve imzayı sertifikayla doğrular
cli-card-watch = Okuyucu ve kart takılıp çıkarıldıkça bunu yazar (durdurmak için Ctrl+C)
cli-card-reader = Yalnızca bu adlı okuyucuyu kullanır
cli-card-pkcs11 = Kullanılacak PKCS#11 modülünün yolu (verilmezse Kamu SM'nin akisp11 modülü olağan yerlerinde aranır)
cli-card-backend = Karta nasıl erişileceği: otomatik, apdu ya da pkcs11
cli-card-tckn = Kartın sahibi olması gereken kişinin T.C. Kimlik No'su
cli-card-issuer = Kabul edilen sertifika sağlayıcı adı (birden çok kez verilebilir; varsayılan Kamu SM)
cli-bad-tckn = Verilen T.C. Kimlik No geçerli değil: 11 haneli olmalı ve son iki hanesi doğru olmalı.
cli-bad-backend = “{ $value }” tanınmadı; otomatik, apdu ya da pkcs11 yazın.

## Kart tanısı (eimza-agent kart)

diag-title = e-İmza kartı denetim raporu
diag-service-ok = Akıllı kart hizmeti (PC/SC): çalışıyor
diag-service-down = Akıllı kart hizmeti (PC/SC): çalışmıyor
diag-readers = Kart okuyucular ({ $count }):
diag-no-readers = Kart okuyucu: bulunamadı
diag-reader-empty = { $name }: kart yok
diag-reader-card = { $name }: kart takılı, ATR { $atr }, { $family }
diag-not-akis = AKİS kartı değil
diag-reader-used = Kullanılan okuyucu: { $name }
diag-backend-apdu = Karta erişim: doğrudan komutlar (APDU)
diag-backend-pkcs11 = Karta erişim: PKCS#11 modülü ({ $path })
diag-holder = Sertifika sahibi: { $name } (T.C. Kimlik No { $tckn })
diag-holder-no-tckn = Sertifika sahibi: { $name } (sertifikada T.C. Kimlik No yok)
diag-issuer = Sertifikayı veren: { $issuer }
diag-validity = Geçerlilik: { $from } – { $to }
diag-window-open = Yenileme: { $date } tarihinden beri yapılabilir
diag-window-later = Yenileme: { $date } tarihinde açılır
diag-tries-known = Kalan PIN deneme hakkı: { $tries }
diag-tries-final = Kalan PIN deneme hakkı: 1 — son hak; yanlış girilirse kart kilitlenir
diag-tries-locked = PIN kilitli
diag-tries-not-low = PIN deneme hakkı: tam (kart sayıyı bildirmiyor)
diag-tries-low = PIN deneme hakkı: azalmış (son doğru girişten beri yanlış PIN girildi)
diag-usable = Sonuç: kart e-İmza yenilemesi için kullanılabilir.
diag-unusable = Sonuç: kart şu anda kullanılamıyor.

akis-family-uekae = AKİS (UEKAE, 2011–2019)
akis-family-tc = AKİS (TC, 2020 ve sonrası)
akis-family-v1 = AKİS (ilk sürüm, v1.0)

## Sertifika denetimleri

cert-no-tckn = Karttaki sertifikada T.C. Kimlik No bulunmuyor; bu bir kişisel nitelikli e-İmza sertifikası değil.
cert-wrong-person = Bu kart başka birine ait: kartta { $card } numaralı kişinin sertifikası var, başvuru { $expected } numaralı kişi için. Lütfen kendi kartınızı takın.
cert-not-kamusm = Bu sertifikayı Kamu SM vermemiş (veren: { $issuer }). Kurumsal yenileme yalnızca Kamu SM sertifikaları için yapılır.
cert-not-yet-valid = Sertifika henüz geçerli değil; { $date } tarihinde geçerli olacak.
cert-expired = Sertifikanın süresi { $date } tarihinde dolmuş. Süresi dolan sertifika yenilenemez; yeni bir sertifika için Kamu SM'ye yeni başvuru yapmanız gerekir. Bilgi işlem biriminiz bunda size yardımcı olur.
cert-window-not-open = Yenileme için henüz erken: Kamu SM yenilemeyi sertifikanın bitişinden en çok 3 ay önce kabul eder. Yenileme { $date } tarihinden itibaren yapılabilir.

## Kart hataları

card-err-no-service = Bilgisayardaki akıllı kart hizmeti çalışmıyor. Windows'ta “Akıllı Kart” hizmetini, Linux'ta pcscd'yi başlatın ya da bilgisayarı yeniden başlatın.
card-err-no-reader = Kart okuyucu bulunamadı. Okuyucunun USB kablosunu takın; takılıysa başka bir USB girişini deneyin.
card-err-reader-gone = Kart okuyucu bulunamadı ya da çıkarıldı. Okuyucuyu yeniden takıp tekrar deneyin.
card-err-no-card = Okuyucuda kart yok. e-İmza kartınızı, çipi okuyucuya dönük olacak biçimde takın.
card-err-card-removed = Kart işlem sırasında çıkarıldı. Kartı yeniden takıp işlemi baştan başlatın; PIN hakkınız bundan etkilenmez.
card-err-card-reset = Başka bir program karta eriştiği için bağlantı kesildi (kartınızdaki bilgiler silinmedi). Diğer e-İmza programlarını kapatıp yeniden deneyin.
card-err-card-busy = Kartı şu anda başka bir program kullanıyor. e-İmza ile çalışan diğer programları kapatıp tekrar deneyin.
card-err-not-akis = Bu bir AKİS e-İmza kartı değil (ATR { $atr }). Kamu SM'nin verdiği e-İmza kartını takın; banka kartı ya da kimlik kartı bu işlem için kullanılamaz.
card-err-no-certificate = Kartta imza sertifikası bulunamadı. Kart boş ya da başka bir amaçla hazırlanmış olabilir; bilgi işlem birimine başvurun.
card-err-bad-certificate = Karttaki sertifika okunamadı ya da bozuk. Kartı çıkarıp yeniden takın; sorun sürerse bilgi işlem birimine başvurun.
card-err-pin-locked = PIN'iniz kilitli: 3 kez yanlış girildiği için kart kilitlendi. Kilidi Kamu SM'nin çevrim içi işlemler sayfasındaki “Kilit Çözme” menüsünden açabilirsiniz; giriş için e-Devlet'i ya da güvenlik sözcüğünüzle SMS'i kullanabilirsiniz. Kilit açılmadan yenileme yapılamaz.
card-err-wrong-pin = PIN yanlış. Kalan deneme hakkınız: { $tries }. { $tries ->
        [1] Bir yanlış giriş daha kartı kilitler; PIN'inizden emin değilseniz durup bilgi işlem birimine danışın.
       *[other] PIN'inizi dikkatle yeniden girebilirsiniz.
    }
card-err-wrong-pin-unknown = PIN yanlış. Kart kalan hakkı bildirmiyor; 3 yanlış giriş kartı kilitler, dikkatli olun.
card-err-last-try = Son PIN deneme hakkınız kaldı. Yanlış girerseniz kart kilitlenir; kilidi yalnızca Kamu SM'nin “Kilit Çözme” işlemiyle açabilirsiniz. Devam etmek için ayrıca onay vermeniz gerekiyor.
card-err-not-verified = Kart, PIN doğrulanmadan bu işlemi yapmıyor.
card-err-refused = Kart işlemi reddetti (durum kodu { $sw }). Kartı çıkarıp yeniden takın; sorun sürerse bilgi işlem birimine bu kodu iletin.
card-err-unexpected = Kart okunurken beklenmeyen bir sorun oluştu. Kartı çıkarıp yeniden takın ve tekrar deneyin; sorun sürerse bilgi işlem biriminize başvurun.
card-err-pkcs11-module = Kamu SM'nin kart modülü kullanılamıyor ({ $path }). Kamu SM'nin AKİS kart sürücüsünü kurun ya da doğru modül yolunu verin.
card-err-no-token = Kart modülü takılı bir kart görmüyor. Kartın okuyucuda olduğundan emin olun.
card-err-signature-invalid = Kartın ürettiği imza sertifikayla doğrulanamadı. Kart arızalı olabilir; bilgi işlem birimine başvurun.

pin-format-empty = PIN girilmedi. e-İmza PIN'iniz 6 haneli bir sayıdır.
pin-format-not-digits = PIN yalnızca rakamlardan oluşur (6 rakam). Harf, boşluk ya da işaret yazmayın.
pin-format-length = PIN 6 haneli olmalı. Bu deneme kartınıza gönderilmedi ve hakkınızdan düşmedi.

## İmza testi

sign-pin-prompt = e-İmza PIN'iniz (ekranda görünmez):
sign-last-try-confirm = Son PIN deneme hakkınız kaldı. Yanlış girilirse kart kilitlenir. Yine de denemek istiyorsanız EVET yazın:
sign-last-try-word = EVET
sign-last-try-declined = Tamam, PIN denenmedi; hakkınız olduğu gibi duruyor.
sign-format-give-up = PIN üç kez geçersiz biçimde girildi; karta hiçbir şey gönderilmedi.
sign-ok = İmza testi başarılı: kart rastgele bir metni imzaladı ve imza sertifikayla doğrulandı.
sign-not-possible = İmza testi yapılamıyor; önce yukarıdaki sorun giderilmeli.

## Kart izleme

watch-started = Okuyucular ve kartlar izleniyor. Durdurmak için Ctrl+C.
watch-reader-added = Okuyucu takıldı: { $name }
watch-reader-removed = Okuyucu çıkarıldı: { $name }
watch-card-inserted = Kart takıldı ({ $name }): { $family }
watch-card-removed = Kart çıkarıldı ({ $name })
watch-service-stopped = Akıllı kart hizmeti durdu; yeniden başlaması bekleniyor.

## Eşleştirme (eimza-agent eslestir)

cli-pair-about = Bu bilgisayarı sohbetteki başvurunuzla eşleştirir (kodu sohbette /eslestir yazarak alırsınız)
cli-pair-server = Botun adresi (ör. https://eimza.kurum.gov.tr)
cli-pair-code = Sohbetteki eşleştirme kodu (ör. KQFM-DXZT)
cli-pair-name = Sohbette gösterilecek bilgisayar adı (verilmezse bilgisayarın adı)
cli-run-about = Arka planda çalışır: bota bağlı kalır, kart adımı geldiğinde bildirim gösterir ve kartı denetler
cli-status-about = Eşleştirme ve bağlantı durumunu yazar
pair-code-empty = Eşleştirme kodu girilmedi. Kodu sohbette /eslestir yazarak alabilirsiniz.
pair-code-length = Eşleştirme kodu 8 harften oluşur (ör. KQFM-DXZT); girilen kodda { $count } harf var.
pair-code-character = Eşleştirme kodunda “{ $char }” bulunmaz: kodlar yalnızca sessiz harflerden oluşur (rakam, sesli harf ya da işaret yok).
pair-bad-server = Sunucu adresi “{ $server }” kullanılamıyor. https:// ile başlayan tam adresi yazın (yalnızca bu bilgisayardaki bir bot için http:// olabilir).
pair-err-unknown = Bu eşleştirme kodu tanınmadı. Kodu sohbette göründüğü gibi yazdığınızdan emin olun ya da /eslestir ile yeni bir kod alın.
pair-err-expired = Bu eşleştirme kodunun süresi dolmuş. Sohbette /eslestir yazarak yeni bir kod alın.
pair-err-used = Bu eşleştirme kodu daha önce kullanılmış. Sohbette /eslestir yazarak yeni bir kod alın.
pair-err-too-many = Bu bilgisayardan çok sayıda yanlış kod girildi. Güvenliğiniz için bir süre beklemeniz gerekiyor.
pair-err-rejected = Eşleştirme sohbette reddedildi. Bilgisayarı eşleştirmek istiyorsanız sohbette /eslestir ile yeni bir kod alın.
pair-wait-minutes = { $minutes } dakika sonra yeniden deneyebilirsiniz.
pair-unreachable = Bota ulaşılamadı ({ $server }). İnternet bağlantınızı ve adresi denetleyip yeniden deneyin.
pair-server-error = Bot beklenmeyen bir yanıt verdi. Biraz sonra yeniden deneyin; sorun sürerse bilgi işlem birimine başvurun.
pair-waiting = Kod kabul edildi. Şimdi sohbete dönün ve “{ $name }” bilgisayarının eşleşmesini onaylayın. Onay bekleniyor…
pair-done = Eşleştirme tamamlandı. Bu bilgisayar artık başvurunuzun adımlarını alacak. Programı çalıştırmak için: eimza-agent calis
pair-timeout = Onay zamanında gelmedi; eşleştirme yapılmadı. Sohbette /eslestir ile yeni bir kod alıp yeniden deneyin.
pair-save-failed = Eşleştirme bilgisi kaydedilemedi ({ $path }). Klasörün yazılabilir olduğunu denetleyin.

## Bağlantı (eimza-agent calis / durum)

run-not-paired = Bu bilgisayar henüz eşleştirilmemiş. Önce sohbette /eslestir yazıp aldığınız kodla “eimza-agent eslestir” komutunu çalıştırın.
run-connected = Sunucuya bağlanıldı ({ $server }).
run-reconnecting = Bağlantı koptu; { $seconds } saniye sonra yeniden bağlanılacak.
run-card-step = { $ticket } numaralı başvurunuz için e-İmza kartınızı okuyucuya takın.
notify-card-step-title = e-İmza yenileme: kartınızı takmanız gerekiyor
notify-card-step-body = { $ticket } numaralı başvurunuz için e-İmza kartınızı okuyucuya takın.
link-err-version = Bu eimza programının sürümü sunucununkiyle uyumlu değil: lütfen eimza programını güncelleyin (yeni sürümü bilgi işlem biriminizden alın).
link-err-protocol = Bot ile program arasında bir iletişim hatası oldu; bağlantı yeniden kurulacak.
link-err-unauthorized = Bot bu bilgisayarın eşleştirmesini tanımıyor. Sohbette /eslestir ile yeniden eşleştirin.
link-err-revoked = Bu bilgisayarın eşleştirmesi kaldırıldı; program bota artık bağlanmayacak. Yeniden eşleştirmek için sohbette /eslestir yazın.
link-err-internal = Botta beklenmeyen bir sorun oldu; bağlantı yeniden kurulacak.
status-not-paired = Eşleştirme: yok. Sohbette /eslestir yazıp “eimza-agent eslestir” ile eşleştirebilirsiniz.
status-paired = Eşleştirme: { $server } (bu bilgisayar: { $agent }), eşleştirme tarihi { $date }
status-connected = Bağlantı: bağlı ({ $since } tarihinden beri)
status-connecting = Bağlantı: bağlanmaya çalışıyor (son deneme { $since })
status-offline = Bağlantı: program çalışmıyor. Başlatmak için: eimza-agent calis
status-revoked = Bağlantı: eşleştirme kaldırıldı. Yeniden eşleştirmek için sohbette /eslestir yazın.
status-outdated = Bağlantı: program güncel değil; lütfen eimza programını güncelleyin.

## e-Onay

attest-sentence = { $ticket } numaralı başvurum için e-Onay işlemini tamamladığımı beyan ederim.
attest-refused-malformed = Bilgisayarınızdan gelen e-Onay beyanı okunamadı. eimza programının güncel olduğundan emin olup “eimza-agent eonay” komutunu yeniden çalıştırın.
attest-refused-signature = Beyandaki imza karttaki sertifikayla doğrulanamadı. Kartınızı çıkarıp yeniden takın ve “eimza-agent eonay” komutunu yeniden çalıştırın.
attest-refused-untrusted = Karttaki sertifika, kurumun güvendiği bir Kamu SM sertifikası değil ya da imza için kullanılamıyor. Kamu SM'nin verdiği kendi e-İmza kartınızı kullanın; sorun sürerse bilgi işlem birimine başvurun.
attest-refused-not-valid = Karttaki sertifika şu anda geçerli değil. Bilgi işlem birimine başvurun.
attest-refused-wrong-person = Beyanı imzalayan kart başvuru sahibine ait değil. Kendi kartınızı takıp “eimza-agent eonay” komutunu yeniden çalıştırın.
attest-refused-nonce = Beyanın süresi dolmuş ya da daha önce kullanılmış. “eimza-agent eonay” komutunu yeniden çalıştırın: program yeni bir beyan hazırlayacak.
attest-refused-revoked = Karttaki sertifika iptal edilmiş; bu sertifikayla yenileme yapılamaz. Bilgi işlem birimine başvurun.
attest-refused-revocation-unknown = Sertifikanın iptal durumu şu anda denetlenemedi. Birkaç dakika sonra “eimza-agent eonay” komutunu yeniden çalıştırın; sorun sürerse bilgi işlem birimine başvurun.
attest-refused-state = Başvurunuz e-Onay aşamasında değil; beyan kullanılmadı. Başvurunuzun durumunu sohbette /durum ile görebilirsiniz.
api-err-unreachable = Sunucuya ulaşılamadı. İnternet bağlantınızı denetleyip biraz sonra yeniden deneyin.
api-err-unexpected = Bot beklenmeyen bir yanıt verdi. Biraz sonra yeniden deneyin; sorun sürerse bilgi işlem birimine başvurun.
eonay-title = e-Onay adımı — { $ticket }
eonay-bad-url = “{ $url }” açılabilecek bir sayfa adresi değil: https:// ile başlamalı, boşluk içermemeli.
eonay-card-ok = Kartınız hazır: { $name } ({ $tckn }) adına Kamu SM sertifikası.
eonay-browser-opened = Kamu SM'nin çevrim içi işlemler sayfası tarayıcınızda açıldı: { $url }
eonay-open-yourself = Chrome'da şu sayfayı açın: { $url }
eonay-steps =
    Sayfada şu adımları izleyin:
      1. Kamu SM'nin kart bileşeni kurulu değilse sayfadaki bağlantıdan kurun (Windows 64 bit ya da 32 bit).
      2. T.C. Kimlik No alanına kendi numaranızı ({ $tckn }) yazın, kart türü olarak “AKİS”i seçin.
      3. Kartınızdan “{ $name }” adının okunmasını bekleyin, e-İmza PIN'inizi Kamu SM'nin sayfasına girin ve “Form Onayla”ya basın.
      4. “E-Onay işlemleri”ne basın, yine “AKİS”i seçin, adınızın okunmasını bekleyin, PIN'inizi girip “Onay”a basın.
      5. Sayfada başarı mesajını gördüğünüzde buraya dönün.
    PIN'inizi yalnızca Kamu SM'nin sayfasına ve bu programa girin; sohbete asla yazmayın.
eonay-confirm-prompt = e-Onay tamamlandı mı? (evet/hayır):
eonay-confirm-again = Lütfen “evet” ya da “hayır” yazın.
eonay-not-confirmed = Tamam. e-Onay tamamlandığında bu komutu yeniden çalıştırın; başvurunuzda hiçbir şey değişmedi.
eonay-statement =
    Şimdi e-Onay'ı tamamladığınızı kartınızla imzalayacaksınız. İmzalanacak beyan:
      “{ $sentence }”
    Beyanı imzalamak için e-İmza PIN'inizi girin. PIN bu bilgisayardan çıkmaz ve hiçbir yere kaydedilmez.
eonay-key-unsupported = Karttaki anahtar türüyle imza atılamıyor. Bilgi işlem birimine başvurun.
eonay-locked-reported = Başvurunuz kilitli kart yüzünden durduruldu ve bilgi işlem birimine bildirildi. Kilidi “Kilit Çözme” ile açtıktan sonra sohbette yeni bir başvuru başlatın.
eonay-not-signed = Beyan imzalanmadı; e-Onay kurumunuza bildirilmedi. Hazır olduğunuzda bu komutu yeniden çalıştırın.
eonay-sending-saved = { $ticket } için daha önce imzalanmış ama sunucuya ulaşmamış e-Onay beyanı gönderiliyor…
eonay-bot-unreachable-retrying = Sunucuya şu an ulaşılamıyor. İmzalı beyanınız bu bilgisayarda saklandı; yeniden gönderilecek…
eonay-saved-for-later = Sunucuya ulaşılamadı. İmzalı beyanınız bu bilgisayarda saklandı: bağlantı düzelince “eimza-agent eonay” komutunu yeniden çalıştırın. Beyan 5 dakika geçerlidir; süresi dolarsa yeniden imzalamanız istenir.
eonay-accepted = e-Onay doğrulandı: { $ticket } numaralı başvurunuza kaydedildi ve bilgi işlem birimine kurumsal başvuru için haber verildi. Sonraki adımları sohbetten takip edebilirsiniz.
run-card-ready = Kartınız hazır. e-Onay adımı için “eimza-agent eonay” komutunu çalıştırın.
run-card-gave-up = Kart için bekleme süresi doldu. Sorunu giderdikten sonra sohbette /kart yazın ya da “Kartı yeniden denetle” düğmesine basın.
run-renewed-card = Yeni e-İmza kartınız görüldü; yenileme başvurunuz tamamlandı.
cli-run-card-wait = Kart adımında kullanılabilir bir kartın en çok kaç saniye bekleneceği
cli-eonay-about = e-Onay adımı: Kamu SM sayfasını açar, adımları gösterir, tamamlandığını kartınızla imzalayıp bota bildirir
cli-eonay-url = Açılacak Kamu SM çevrim içi işlemler sayfası
cli-eonay-no-browser = Tarayıcıyı açmaz, yalnızca adresi gösterir

## Pencere (eimza-agent pencere)

cli-window-about = Programı pencerede açar: eşleştirme, kart durumu, kart adımı ve adım adım e-Onay
cli-window-hidden = Pencereyi göstermeden başlar (oturum açılışı için); yapmanız gereken bir adım olduğunda pencere öne gelir
gui-already-running = eimza penceresi zaten açık; öne getirildi.
gui-cannot-open = Pencere açılamadı ({ $reason }). Komut satırından “eimza-agent calis” ve “eimza-agent eonay” ile devam edebilirsiniz.
gui-title = eimza
gui-tab-home = Ana sayfa
gui-tab-settings = Ayarlar
gui-link-not-paired = Eşleştirilmedi
gui-link-connecting = Bağlanıyor…
gui-link-connected = Bağlı
gui-link-offline = Çevrim dışı — { $seconds } saniye sonra yeniden denenecek
gui-none = —

# The tray icon: its menu and tooltip.
gui-tray-open = Aç
gui-tray-state = Durum: { $state }
gui-tray-quit = Programdan çık
gui-tray-offline = Çevrim dışı
gui-tray-card-step = Kart adımı sizi bekliyor

gui-pair-title = Bu bilgisayarı sohbetinizle eşleştirin
gui-pair-intro = Sohbette “/eslestir” yazın ya da “Bilgisayarımı eşleştir” düğmesine basın; size verilen kodu aşağıya yazın. Ardından sohbette “Onayla”ya basmanız istenecek.
gui-pair-server = Sunucu adresi
gui-pair-code = Eşleştirme kodu
gui-pair-name = Bilgisayarın adı
gui-pair-name-hint = Bu ad sohbette görünür; bilgisayarınızı tanımanıza yarar.
gui-pair-button = Eşleştir
gui-pair-sending = Kod sunucuya gönderiliyor…
gui-pair-waiting = Sohbetinizde “{ $name }” bilgisayarı için “Onayla”ya basın. Onayınız bekleniyor…

gui-eonay-start = e-Onay adımına başla
gui-card-title = Kart
gui-card-looking = Kart okuyucular denetleniyor…
gui-card-reader = Okuyucu
gui-card-card = Kart
gui-card-present = Takılı
gui-card-absent = Takılı değil
gui-card-family = Kart türü
gui-card-holder = Sahibi
gui-card-issuer = Sertifikayı veren
gui-card-expiry = Geçerlilik sonu
gui-card-renewal = Yenileme
gui-card-renewal-open = { $date } tarihinden beri yapılabilir
gui-card-renewal-later = { $date } tarihinden itibaren yapılabilir
gui-card-tries = PIN durumu
gui-card-wrong-person = Takılı kart başvuru sahibine ait değil. Lütfen kendi kartınızı takın.
gui-check-title = Ön denetim
gui-check-ok = Gerekenlerin hepsi yerinde.
gui-check-service = Akıllı kart hizmeti (PC/SC) çalışmıyor. Bilgisayarı yeniden başlatın; düzelmezse bilgi işlem biriminden akıllı kart hizmetini (Windows'ta “Akıllı Kart”, Linux'ta pcscd) başlatmalarını isteyin.
gui-check-reader = Kart okuyucu bulunamadı. Okuyucuyu bilgisayara takın (başka bir USB girişi de deneyebilirsiniz).
gui-check-module = Kamu SM'nin kart sürücüsü (AKİS PKCS#11 modülü) bulunamadı; kart doğrudan okunuyor ve e-Onay için bu yeterli. e-İmza ile belge imzalamak için sürücüyü Kamu SM'nin sayfasından kurun.
gui-copy-report = Bilgi işlem için raporu kopyala
gui-copied = Rapor panoya kopyalandı; bilgi işlem birimine e-postayla ya da sohbetle gönderebilirsiniz.

gui-wizard-title = Kart adımı ve e-Onay — { $ticket }
gui-wizard-title-plain = Kart adımı ve e-Onay
gui-step-card = Kart denetimi
gui-step-page = Kamu SM sayfası
gui-step-eonay = e-Onay adımları
gui-step-sign = Beyan ve PIN
gui-step-send = Gönderim
gui-wizard-insert = e-İmza kartınızı okuyucuya takın.
gui-wizard-waiting-card = Kart bekleniyor; taktığınızda kendiliğinden denetlenecek.
gui-wizard-gave-up = Kart için bekleme süresi doldu. Kartınızı takın ya da yukarıdaki sorunu giderin, ardından “Şimdi denetle”ye basın.
gui-wizard-check-now = Şimdi denetle
gui-wizard-checking = Kartınız denetleniyor…
gui-wizard-open-page-intro = Şimdi Kamu SM'nin çevrim içi işlemler sayfasında e-Onay'ı yapacaksınız. Sayfayı açmak için aşağıdaki düğmeye basın.
gui-wizard-open-page = Kamu SM sayfasını aç
gui-wizard-eonay-done = e-Onay'ı tamamladım
gui-wizard-preparing = Beyan hazırlanıyor…
gui-wizard-statement-intro = e-Onay'ı tamamladığınızı kartınızla imzalayacaksınız. İmzalanacak beyan:
gui-wizard-sign = PIN ile imzala
gui-wizard-verifying = PIN kartta denetleniyor…
gui-wizard-sending = İmzalı beyan sunucuya gönderiliyor…
gui-wizard-retry = Yeniden dene
gui-wizard-close = Kapat
gui-saved-for-later = Sunucuya ulaşılamadı. İmzalı beyanınız bu bilgisayarda saklandı; bağlantı düzelince “e-Onay adımına başla”ya yeniden basın. Beyan 5 dakika geçerlidir; süresi dolarsa yeniden imzalamanız istenir.

gui-pin-title = e-İmza PIN'i
gui-pin-label = PIN (6 haneli)
gui-pin-digits-only = PIN yalnızca rakamlardan oluşur.
gui-pin-last-try = Son deneme hakkınız kaldı. Yanlış girerseniz kart kilitlenir; kilidi yalnızca Kamu SM'nin “Kilit Çözme” işlemiyle açabilirsiniz. Devam etmek için aşağıdaki kutuyu işaretleyin; PIN'inizden emin değilseniz “Vazgeç”e basıp bilgi işlem birimine danışın.
gui-pin-last-try-confirm = Son hakkımı kullanmak istiyorum
gui-pin-sign = İmzala
gui-pin-cancel = Vazgeç
gui-pin-never-kept = PIN bu bilgisayardan çıkmaz, hiçbir yere kaydedilmez ve yanlışsa kendiliğinden yeniden denenmez.

gui-settings-title = Ayarlar
gui-settings-language = Dil:
gui-settings-start-at-login = Oturum açılınca başlat
gui-settings-paired = Bu bilgisayar { $server } ile { $date } tarihinde eşleştirildi.
gui-settings-unlink = Bu bilgisayarın eşleştirmesini kaldır
gui-settings-unlink-sure = Eşleştirme yalnızca bu bilgisayardan silinecek; bu bilgisayar başvurunuzun adımlarını artık almayacak. Sohbetteki kaydı da kaldırmak için “/cihazlar” yazın. Emin misiniz?
gui-settings-unlink-yes = Evet, kaldır
gui-settings-log-folder = Kayıt (log) klasörünü aç
gui-settings-failed = Bu işlem yapılamadı.
gui-settings-version = Sürüm { $version }
gui-settings-licences = eimza, EUPL-1.2 lisansıyla dağıtılır. Kullandığı kitaplıklar (egui, tokio, rustls ve diğerleri) MIT, Apache-2.0 ve benzeri özgür lisanslarla dağıtılır.
gui-step-of = Adım { $n } / { $total }:
gui-home-request = Başvuru: { $ticket } (T.C. Kimlik No { $tckn })
gui-home-request-plain = Başvuru: { $ticket }
gui-home-eonay-done = { $ticket } numaralı başvurunuz için e-Onay tamamlandı. Sonraki adımları sohbetten takip edebilirsiniz; yeni kartınızı bu bilgisayara taktığınızda program onu tanır ve başvurunuzu tamamlar.
gui-settings-quit-hint = Pencereyi kapatınca program arka planda (sistem tepsisinde) çalışmayı sürdürür; yapmanız gereken bir adım olduğunda pencere öne gelir.
gui-settings-quit = Programdan çık
gui-language-name = Türkçe

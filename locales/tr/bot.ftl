# Sohbet metinleri (Türkçe, varsayılan). Değişken adları İngilizce dosyayla aynı olmalı.

## Karşılama ve KVKK

welcome =
    Merhaba! Ben e-İmza yenileme asistanıyım.
    Nitelikli elektronik sertifikanızın (e-İmza) yenilenmesi için gereken bilgileri alacak, bilgi işlem biriminde başvurunuzu açacak ve sonraki adımlarda size yol göstereceğim.
    T.C. Kimlik Numaranızı, adınızı ve soyadınızı, unvanınızı, kurum e-posta adresinizi ve doğum tarihinizi soracağım; yaklaşık iki dakika sürer.

## Sorular

ask-tckn = T.C. Kimlik Numaranızı yazar mısınız? (11 hane)
ask-name = Adınızı ve soyadınızı nüfus kaydınızdaki gibi yazar mısınız? (Örnek: Ayşe Yılmaz)
ask-title = Unvanınız nedir? Aşağıdan seçebilir ya da kendiniz yazabilirsiniz.
ask-title-free = Unvanınız nedir? (Örnek: Uzman, Şube Müdürü)
ask-email = Kurum e-posta adresinizi yazar mısınız? Kabul edilen uzantılar: { $domains }
ask-birth-date = Doğum tarihinizi gün.ay.yıl olarak yazar mısınız? (Örnek: 05.03.1980 ya da 5 Mart 1980)

## Hatalı girişler

err-tckn-empty = T.C. Kimlik Numaranızı yazmadınız.
err-tckn-not-digits = T.C. Kimlik No yalnızca rakamlardan oluşur; harf ya da başka bir işaret içeremez.
err-tckn-length = T.C. Kimlik No 11 haneli olmalı; yazdığınız numara { $count } haneli.
err-tckn-leading-zero = T.C. Kimlik No 0 ile başlayamaz.
err-tckn-checksum = Bu numara geçerli bir T.C. Kimlik No değil: bir hane yanlış ya da iki hanenin yeri değişmiş olabilir. Lütfen kimlik kartınıza bakarak yeniden yazın.
err-name-empty = Adınızı ve soyadınızı yazmadınız.
err-name-one-word = Lütfen adınızı ve soyadınızı birlikte yazın (en az iki kelime).
err-name-invalid-char = Ad soyad yalnızca harf, boşluk, kesme işareti (') ve kısa çizgi (-) içerebilir; “{ $char }” kullanılamaz.
err-name-too-long = Ad soyad en fazla { $max } karakter olabilir.
err-title-too-short = Unvan en az { $min } karakter olmalı.
err-title-too-long = Unvan en fazla { $max } karakter olabilir; lütfen kısaltarak yazın.
err-title-control = Unvanda yazdırılamayan bir karakter var; lütfen düz metin olarak yazın.
err-email-empty = E-posta adresinizi yazmadınız.
err-email-invalid = Bu bir e-posta adresine benzemiyor. Örnek: ad.soyad@kurum.gov.tr
err-email-domain = Yalnızca kurum e-posta adresleri kabul edilir ({ $domains }). Kişisel adresler (gmail.com, hotmail.com gibi) kullanılamaz.
err-birth-format = Tarihi anlayamadım. Lütfen gün.ay.yıl olarak, yılı dört haneli yazın: 05.03.1980, 5.3.1980, 05/03/1980 ya da 5 Mart 1980.
err-birth-month = “{ $month }” bir ay adı olarak tanınmadı. Ocak, Şubat, Mart … Aralık yazabilir ya da ayı rakamla belirtebilirsiniz.
err-birth-no-such-date = Takvimde böyle bir gün yok: { $date }. (29 Şubat yalnızca artık yıllarda vardır.)
err-birth-future = Doğum tarihi bugünden sonra olamaz; lütfen tarihi kontrol edin.
err-birth-too-young = Bu tarihe göre { $age } yaşından küçük görünüyorsunuz; lütfen yılı kontrol edin.
err-birth-too-old = Bu tarihe göre { $age } yaşından büyük görünüyorsunuz; lütfen yılı kontrol edin.

## Özet ve düzeltme

summary =
    Lütfen bilgilerinizi kontrol edin:
    T.C. Kimlik No: { $tckn }
    Ad Soyad: { $name }
    Unvan: { $title }
    Kurum E-Posta: { $email }
    Doğum Tarihi: { $birth_date }
    Başvuru türü: Yenileme
    Bilgiler doğruysa “Onayla” düğmesine basın. Bir bilgiyi değiştirmek için “Düzelt”, vazgeçmek için “İptal”.
summary-reask = Lütfen özetin altındaki düğmelerden birini seçin ya da “onayla”, “düzelt” veya “iptal” yazın.
btn-confirm = Onayla
btn-edit = Düzelt
btn-cancel = İptal
ask-edit-field = Hangi bilgiyi düzeltmek istiyorsunuz?
edit-field-reask = Hangi bilgiyi kastettiğinizi anlayamadım; lütfen düğmelerden birini seçin.
field-tckn = T.C. Kimlik No
field-name = Ad Soyad
field-title = Unvan
field-email = Kurum E-Posta
field-birth-date = Doğum Tarihi
btn-back = Özete dön

## Başvuru

ticket-opened = Başvurunuz alındı. Başvuru numaranız: { $ticket }
ticket-next-step = Sonraki adım: eimza yardımcı programını (eimza-agent) e-İmza kartınızın takılı olduğu bilgisayara kurun ve bu sohbetle eşleştirin. Programı bilgi işlem biriminizden alabilirsiniz. Hazır olduğunuzda aşağıdaki düğmeye basın ya da /eslestir yazın. Başvurunuzun durumunu istediğiniz zaman /durum yazarak görebilirsiniz.

## Bilgisayar eşleştirme

btn-pair = Bilgisayarımı eşleştir
pair-code =
    Eşleştirme kodunuz: { $code }
    Kod { $minutes } dakika geçerlidir ve bir kez kullanılabilir. e-İmza kartınızın takılı olduğu bilgisayarda eimza programını açıp bu kodu yazın. Komut satırını kullanıyorsanız şunu çalıştırın:
    eimza-agent eslestir --sunucu { $server } { $command_code }
    Ardından burada bilgisayarınızın adını görecek ve eşleştirmeyi onaylayacaksınız. Bu kodu kimseyle paylaşmayın; bilgi işlem personeli de sizden istemez.
pair-request = “{ $name }” ({ $os }) adlı bilgisayar bu sohbetle eşleşmek istiyor. Kodu siz kendi bilgisayarınıza girdiyseniz onaylayın; tanımıyorsanız reddedin.
btn-pair-approve = Onayla
btn-pair-reject = Reddet
pair-approved = Eşleştirme tamamlandı: { $name } ({ $os }). Bu bilgisayardaki eimza programı artık başvurunuzla ilgili adımları alacak.
pair-card-step-queued = { $ticket } numaralı başvurunuzun kart adımı bilgisayarınıza gönderildi. eimza programı çalışıyorsa birkaç saniye içinde bilgisayarınızda bir bildirim görürsünüz; bilgisayarınız çevrim dışıysa açıldığında iletilecek.
pair-rejected = Eşleştirme reddedildi: “{ $name }” bu hesaba bağlanmadı. Kodu siz girmediyseniz endişelenmeyin; yeni bir kod almak için /eslestir yazabilirsiniz.
pair-stale = Bu eşleştirme isteği artık geçerli değil (süresi dolmuş ya da daha önce yanıtlanmış). Yeni bir kod için /eslestir yazabilirsiniz.
devices-none = Eşleştirilmiş bilgisayarınız yok.
devices-list =
    Eşleştirilmiş bilgisayarlarınız:
    { $devices }
    Artık kullanmadığınız bir bilgisayarın eşleştirmesini aşağıdan kaldırabilirsiniz.
device-line = • { $name } ({ $os }), son görülme: { $seen }
btn-unlink = { $name } eşleştirmesini kaldır
device-unlinked = “{ $name }” bilgisayarının eşleştirmesi kaldırıldı; o bilgisayardaki program artık bu hesaba bağlanamaz.
device-unlink-stale = Bu bilgisayarın eşleştirmesi zaten kaldırılmış.
chat-reminder = Hatırlatma: e-İmza sertifikanızın süresi { $days } gün sonra, { $date } tarihinde doluyor. Yenileme için yeni bir başvuru başlatmak isterseniz /basla yazabilirsiniz.
agent-outdated = “{ $name }” bilgisayarındaki eimza programının sürümü eski olduğu için sunucuya bağlanamıyor. Yeni sürümü bilgi işlem biriminizden alıp kurun.
card-step-offline = Bilgisayarınız çevrim dışı: { $ticket } numaralı başvurunuzun kart adımı henüz bilgisayarınıza ulaşmadı. Bilgisayarınızı açıp eimza programını çalıştırdığınızda (eimza-agent calis) kendiliğinden iletilecek.
card-step-delivered = Bilgisayarınıza bildirim gönderildi: { $name } bilgisayarı { $ticket } numaralı başvurunuzun kart adımını aldı.
eonay-no-card-step = Bu bilgisayarda e-Onay adımını bekleyen bir başvuru yok. Başvurunuzun durumunu sohbette /durum ile görebilirsiniz; kartınız henüz denetlenmediyse sohbette /kart yazın.
card-ready =
    Bilgisayarınız e-İmza kartınızı denetledi: kart ve sertifika { $ticket } numaralı başvurunuzun yenilemesi için uygun.
    Şimdi e-Onay adımı: bilgisayarınızdaki eimza penceresinde adımları izleyin (pencereyi kullanmıyorsanız “eimza-agent eonay” komutunu çalıştırın). Program Kamu SM'nin çevrim içi işlemler sayfasını açıp adımları tek tek gösterecek, sonunda e-Onay'ı kartınızla doğrulayacak.
card-problems =
    Bilgisayarınız { $ticket } numaralı başvurunuz için kartınızı denetledi. Yapmanız gerekenler:
    { $problems }
card-problems-waiting = Sorunu giderdiğinizde bilgisayarınız kartı kendiliğinden yeniden denetleyecek.
card-problems-gave-up = Bilgisayarınız bir süre bekledi ama kullanılabilir bir kart göremedi. Sorunu giderdikten sonra “Kartı yeniden denetle” düğmesine basın ya da /kart yazın.
card-problem-no-service = • Bilgisayarda akıllı kart hizmeti çalışmıyor. Bilgisayarı yeniden başlatın; sorun sürerse bilgi işlem birimine başvurun.
card-problem-no-reader = • Kart okuyucu bulunamadı. Okuyucuyu bilgisayara takın (başka bir USB girişi de deneyebilirsiniz).
card-problem-no-card = • Okuyucuda kart yok. e-İmza kartınızı okuyucuya takın.
card-problem-card-busy = • Kartı şu anda başka bir program kullanıyor. e-İmza ile çalışan diğer programları kapatın.
card-problem-not-akis = • Okuyucudaki kart bir e-İmza (AKİS) kartı değil. Kamu SM'nin verdiği e-İmza kartınızı takın.
card-problem-no-certificate = • Kartta okunabilir bir e-İmza sertifikası bulunamadı. Bilgi işlem birimine başvurun.
card-problem-wrong-person = • Takılı kart başka birine ait: sertifikadaki T.C. Kimlik No başvurunuzdakiyle aynı değil. Lütfen kendi kartınızı takın.
card-problem-not-kamu-sm = • Karttaki sertifikayı Kamu SM vermemiş; kurumsal yenileme yalnızca Kamu SM sertifikalarıyla yapılır. Kamu SM'nin verdiği kartınızı takın.
card-problem-not-yet-valid = • Karttaki sertifika henüz geçerli değil. Bilgi işlem birimine başvurun.
card-problem-expired = • Karttaki sertifikanın süresi dolmuş; süresi dolan sertifika yenilenemez. Yeni sertifika başvurusu gerekir; bilgi işlem biriminiz sizinle iletişime geçecek.
card-problem-renewal-window-not-open = • Yenileme için henüz erken: Kamu SM yenilemeyi sertifikanın bitişinden en çok 3 ay önce kabul eder. Yenileme { $date } tarihinden itibaren yapılabilir.
card-problem-renewal-window-not-open-undated = • Yenileme için henüz erken: Kamu SM yenilemeyi sertifikanın bitişinden en çok 3 ay önce kabul eder.
card-problem-pin-locked = • Kartın PIN'i kilitli. Kilidi Kamu SM'nin çevrim içi işlemler sayfasındaki “Kilit Çözme” ile açabilirsiniz.
card-problem-pkcs11 = • AKİS kart sürücüsü bulunamadı ya da kartı görmüyor. Kamu SM'nin AKİS kart sürücüsünü kurun; sorun sürerse bilgi işlem biriminize başvurun.
card-problem-other = • Kart okunurken beklenmeyen bir sorun oluştu. Kartı çıkarıp yeniden takın.
btn-card-recheck = Kartı yeniden denetle
card-step-resent = { $ticket } numaralı başvurunuz için kart denetimi isteği “{ $name }” adlı bilgisayara yeniden gönderildi. Kartınızı okuyucuya takın; program kartı denetleyip sonucu buraya bildirecek.
card-recheck-queued = Kart denetimi “{ $name }” bilgisayarınıza gönderildi ({ $ticket }); sonuç birkaç saniye içinde burada olacak.
card-recheck-not-needed = Şu anda kart denetimine gerek yok: başvurunuz “{ $state }” aşamasında.
card-recheck-no-pc = Başvurunuz için eşleştirilmiş bir bilgisayar yok. Kartınızın takılı olduğu bilgisayarı eşleştirmek için aşağıdaki düğmeye basın ya da /eslestir yazın.
attest-refused-chat =
    { $ticket } numaralı başvurunuz için bilgisayarınızdan gelen e-Onay beyanı kabul edilmedi; başvurunuzda hiçbir şey değişmedi.
    { $reason }
btn-form-approved = Onayladım
form-approved-thanks = Teşekkürler, { $ticket } numaralı başvurunuz için onayınızı aldım.
form-approval-not-waiting = Şu anda onayınızı bekleyen bir yenileme formu yok: başvurunuz “{ $state }” aşamasında. Kamu SM'nin “Yenileme Formu” e-postası gönderildiğinde size haber vereceğim.
form-approval-nothing-open = Şu anda onayınızı bekleyen bir yenileme formu yok: açık bir başvurunuz bulunmuyor. Başvurularınızın durumunu /durum ile görebilirsiniz.
already-open = Zaten açık bir yenileme başvurunuz var: { $ticket } ({ $state }). Aynı anda yalnızca bir başvuru açılabilir; ayrıntılar için /durum yazabilirsiniz.
open-refused-tckn = Bu T.C. Kimlik No ile açılmış bir başvuru zaten var: { $ticket } ({ $state }). Numarayı yanlış yazdıysanız “Düzelt” ile değiştirebilirsiniz; numara doğruysa bilgi işlem birimiyle görüşün.

## Durum

status-none = Kayıtlı bir başvurunuz yok. Yeni bir yenileme başvurusu için /basla yazabilirsiniz.
status-collecting = Başvuru bilgilerinizi almaya devam ediyoruz; başvurunuz özet onaylandığında açılacak.
status-ticket =
    Başvuru: { $ticket }
    Durum: { $state }
    Açılış: { $opened }
status-next = Sıradaki adım: { $next }
status-history =
    Geçmiş:
    { $events }
status-event = • { $at } — { $state } ({ $actor })
next-submitted = eimza programını bilgisayarınıza kurun ve bu sohbetle eşleştirin.
next-agent-paired = e-İmza kartınızı okuyucuya takın ve programdaki yönergeleri izleyin.
next-card-step = bilgisayarınızdaki eimza penceresinde (ya da “eimza-agent eonay” komutuyla) yönergeleri izleyerek e-Onay işlemini tamamlayın.
next-eonay-done = bilgi işlem biriminiz Kamu SM'ye kurumsal başvuruyu yapacak.
next-corporate-applied = Kamu SM, “Yenileme Formu” e-postasını kurum e-posta adresinize gönderecek.
next-form-email-sent = kurum e-posta adresinize gelen “Yenileme Formu”nu onaylayın, sonra burada “Onayladım” deyin.
next-completed = başka bir adım yok; yeni kartınız Kamu SM tarafından kurumunuza gönderilecek.
next-cancelled = başka bir adım yok. Yeni başvuru için /basla yazabilirsiniz.
next-failed = bilgi işlem biriminiz sizinle iletişime geçecek.
actor-applicant = siz
actor-staff = bilgi işlem
actor-agent = bilgisayarınızdaki eimza programı
actor-system = sistem
state-collecting = Bilgiler alınıyor
state-submitted = Başvuru alındı
state-agent-paired = Bilgisayar eşleştirildi
state-card-step = Kart adımı bekleniyor
state-eonay-done = e-Onay tamamlandı
state-corporate-applied = Kurumsal başvuru yapıldı
state-form-email-sent = Yenileme formu e-postası gönderildi
state-completed = Tamamlandı
state-cancelled = İptal edildi
state-failed = Tamamlanamadı

## İptal ve silme

nothing-to-cancel = İptal edilecek bir başvurunuz ya da yarım kalmış bir işleminiz yok.
cancel-confirm-draft = Şimdiye kadar girdiğiniz bilgiler silinecek ve başvuru yapılmayacak. Emin misiniz?
cancel-confirm-ticket = { $ticket } numaralı başvurunuz iptal edilecek. Bu işlem geri alınamaz. Emin misiniz?
btn-cancel-yes = Evet, iptal et
btn-cancel-no = Hayır, devam et
cancel-kept = Tamam, iptal etmiyorum.
cancelled-draft = Başvuru yapılmadı ve girdiğiniz bilgiler silindi. Yeniden başlamak için /basla yazabilirsiniz.
cancelled-ticket = { $ticket } numaralı başvurunuz iptal edildi. Yeni bir başvuru için /basla yazabilirsiniz.
delete-confirm = Verdiğiniz tüm kişisel veriler (T.C. Kimlik No, ad soyad, unvan, e-posta, doğum tarihi) hemen silinecek; açık bir başvurunuz varsa iptal edilecek. Emin misiniz?
btn-delete-yes = Evet, verilerimi sil
btn-delete-no = Hayır, silme
delete-kept = Verileriniz silinmedi.
delete-done = Kişisel verileriniz silindi. Başvuru geçmişinde yalnızca kişisel olmayan bilgiler (tarihler ve durumlar) kaldı.
yes-no-reask = Lütfen “evet” ya da “hayır” yazın veya düğmelerden birini seçin.

## Genel

help =
    Kullanabileceğiniz komutlar:
    /basla — yenileme başvurusu başlatır ya da kaldığınız yerden devam eder
    /durum — başvurunuzun durumu ve geçmişi
    /kart — e-İmza kartınızı yeniden denetletir
    /iptal — başvuruyu ya da yarım kalan işlemi iptal eder
    /sil — kişisel verilerinizi hemen siler
    /eslestir — bilgisayarınızdaki eimza programını bu sohbetle eşleştirmek için kod verir
    /cihazlar — eşleştirilmiş bilgisayarlarınız; buradan eşleştirmeyi kaldırabilirsiniz
    /yardim — bu yardım metni
    /english — switch to English
    e-İmza şifrenizi (PIN) asla sohbete yazmayın: PIN yalnızca kendi bilgisayarınızdaki eimza programına girilir.
idle-hint = Size nasıl yardımcı olabilirim? e-İmza yenileme başvurusu için /basla, mevcut başvurunuzun durumu için /durum, yardım için /yardim yazabilirsiniz.
idle-hint-open = { $ticket } numaralı başvurunuz açık. Durumunu /durum ile görebilirsiniz; bir sorunuz varsa buraya yazabilirsiniz.
btn-start = Yenileme başvurusu başlat
resume = Kaldığımız yerden devam edelim.
unknown-command = “{ $command }” komutunu tanımıyorum. Kullanabileceğiniz komutlar için /yardim yazabilirsiniz.
stale-button = Bu düğme artık geçerli değil.
pin-warning = Az önce 6 haneli bir sayı yazdınız; bu e-İmza şifreniz (PIN) olabilir. Güvenliğiniz için mesajınızı sildim. PIN'inizi asla sohbete yazmayın: PIN yalnızca kendi bilgisayarınızdaki eimza programına girilir.
pin-warning-undeletable = Az önce 6 haneli bir sayı yazdınız; bu e-İmza şifreniz (PIN) olabilir. Mesajı ben silemiyorum: lütfen mesaja basılı tutup “Sil”i seçerek hemen kendiniz silin. Şifreniz gerçekten başkasının eline geçtiyse Kamu SM'nin çevrim içi işlemler sayfasından PIN'inizi değiştirin ya da bilgi işlem biriminize başvurun. PIN'inizi asla sohbete yazmayın: PIN yalnızca kendi bilgisayarınızdaki eimza programına girilir.
lang-switched = Bundan sonra Türkçe devam ediyoruz.
internal-error = Üzgünüm, beklenmeyen bir sorun oluştu ve mesajınızı işleyemedim. Lütfen birkaç dakika sonra yeniden gönderin; sorun sürerse bilgi işlem birimine haber verin.

## Başvuru geçmişindeki reddetme gerekçeleri

refusal-not-allowed = Bu işlemi yapma yetkiniz yok.
refusal-closed = Başvuru kapanmış; bu işlem artık yapılamaz.
refusal-too-early = Bu adımdan önce tamamlanması gereken bir adım var.

## Bildirimler (başvuru sahibine ve bilgi işleme)

notice-eonay-done = e-Onay işleminiz doğrulandı. Bilgi işlem birimine kurumsal başvuruyu yapması için haber verildi.
notice-corporate-applied = Kurumsal başvurunuz Kamu SM'ye yapıldı. Kurum e-posta adresinize “Yenileme Formu” e-postası gelecek.
notice-form-email-sent = Kamu SM, “Yenileme Formu” e-postasını kurum e-posta adresinize ({ $email }) gönderdi. Lütfen e-postadaki formu onaylayın; onayladıktan sonra sohbette “Onayladım” düğmesine basın ya da “Onayladım” yazın.
notice-form-approval-reminder = Hatırlatma: Kamu SM'nin “Yenileme Formu” e-postası kurum e-posta adresinizde ({ $email }) onayınızı bekliyor. Form onaylanmadan yenileme tamamlanmaz. Onayladıktan sonra sohbette “Onayladım” düğmesine basın ya da “Onayladım” yazın.
notice-cancelled-by-staff = Başvurunuz bilgi işlem birimi tarafından iptal edildi. Sorularınız için bilgi işlem birimiyle görüşebilirsiniz.
notice-completed = Yenileme başvurunuz tamamlandı. Yeni e-İmza kartınız Kamu SM tarafından kurumunuza gönderilecek.
notice-failed-card-locked = e-İmza kartınızın PIN'i kilitlendiği için başvurunuz durduruldu. Kilidi Kamu SM'nin çevrim içi işlemler sayfasındaki “Kilit Çözme” işlemiyle açabilirsiniz; ardından yeni bir başvuru başlatın. Bilgi işlem birimi de bilgilendirildi.
notice-failed-certificate-expired = e-İmza sertifikanızın süresi dolduğu için yenileme yapılamıyor; yeni bir sertifika başvurusu gerekiyor. Bilgi işlem birimi sizinle iletişime geçecek.
staff-new-ticket = Yeni e-İmza yenileme başvurusu
staff-eonay-done = e-Onay tamamlandı; kurumsal başvuru yapılmalı
staff-completed = Başvuru tamamlandı
staff-cancelled = Başvuru sahibi başvuruyu iptal etti
staff-failed-card-locked = Başvuru durdu: kartın PIN'i kilitli (Kilit Çözme gerekiyor)
staff-failed-certificate-expired = Başvuru durdu: sertifikanın süresi dolmuş (yenileme değil, yeni başvuru gerekiyor)
history-personal-data-deleted = Kişisel veriler silindi
history-agent-unlinked = Bilgisayar eşleştirmesi kaldırıldı
staff-agents = Eşleştirilmiş bilgisayarlar
staff-agents-none = Bu kişinin eşleştirilmiş bilgisayarı yok.
staff-agent-seen = son görülme { $seen }
staff-agent-revoke = Eşleştirmeyi kaldır
history-personal-data-purged = Saklama süresi dolduğu için kişisel veriler silindi
history-eonay-attested = e-Onay, kartla imzalanmış beyanla doğrulandı
history-eonay-refused = e-Onay beyanı kabul edilmedi
history-card-step-resent = Kart adımı bilgisayara yeniden gönderildi
history-new-certificate = Yeni sertifika kartta görüldü; başvuru kapandı
history-cancel-reason = İptal gerekçesi

## Tarih biçimleri

month-1 = Ocak
month-2 = Şubat
month-3 = Mart
month-4 = Nisan
month-5 = Mayıs
month-6 = Haziran
month-7 = Temmuz
month-8 = Ağustos
month-9 = Eylül
month-10 = Ekim
month-11 = Kasım
month-12 = Aralık
date-long = { $day } { $month } { $year }
datetime-long = { $date } { $time }

## E-posta doğrulama

email-code-sent = { $email } adresine bir doğrulama kodu gönderdik. Kod “E-” ile başlar ve { $minutes } dakika geçerlidir.
ask-email-code = Kurum e-posta adresinize ({ $email }) gelen kodu yazar mısınız? E-posta birkaç dakika içinde gelmezse istenmeyen (spam) klasörüne bakın ya da kodu yeniden isteyin.
btn-code-resend = Kodu yeniden gönder
btn-code-change = E-posta adresini değiştir
email-verified = Teşekkürler, e-posta adresiniz doğrulandı.
err-code-wrong = Kod yanlış. { $tries } deneme hakkınız kaldı.
err-code-format = Bu bir doğrulama koduna benzemiyor: kod “E-” ile başlar, ardından beş harf ya da rakam gelir. { $tries } deneme hakkınız kaldı.
err-code-expired = Kodun süresi doldu. Lütfen “Kodu yeniden gönder” düğmesiyle yeni bir kod isteyin.
err-code-no-tries = Çok fazla yanlış deneme yapıldı. Lütfen “Kodu yeniden gönder” düğmesiyle yeni bir kod isteyin.
err-code-none = Bu adres için gönderilmiş geçerli bir kod yok. Lütfen “Kodu yeniden gönder” düğmesiyle yeni bir kod isteyin.
err-code-send-limit = Bu başvuru için gönderilebilecek kod sayısına ulaşıldı. Lütfen bilgi işlem birimiyle görüşün ya da /iptal yazıp daha sonra yeniden başlayın.
err-code-address-limit = Bu adrese kısa sürede çok fazla doğrulama kodu gönderildi; yeni kod { $minutes } dakika sonra gönderilebilir. Adresinize gelen son kodu kullanabilir ya da o zaman yeniden deneyebilirsiniz.

## E-postalar

mail-code-subject = e-İmza yenileme: e-posta doğrulama kodunuz
mail-code-body =
    Merhaba,
    e-İmza yenileme başvurunuzda kurum e-posta adresinizi doğrulamak için kodunuz: { $code }
    Kodu sohbet penceresine yazın. Kod { $minutes } dakika geçerlidir.
    Bu kodu siz istemediyseniz bu e-postayı dikkate almayın; adresiniz kullanılmayacak.
mail-applicant-subject = e-İmza yenileme başvurunuz: { $ticket }
mail-applicant-body =
    Merhaba { $name },
    { $notice }
    Başvuru numaranız: { $ticket }
    Durum: { $state }
mail-staff-subject = [{ $ticket }] { $what }
mail-staff-body =
    { $what }
    Başvuru: { $ticket }
    Durum: { $state }
    Ad Soyad: { $name }
    T.C. Kimlik No: { $tckn }
    Unvan: { $title }
    Kurum E-Posta: { $email }
mail-footer = Bu e-posta e-İmza yenileme asistanı (eimza) tarafından otomatik olarak gönderildi; lütfen yanıtlamayın.
mail-no-staff-address = bilgi işlem için e-posta adresi yapılandırılmamış
mail-personal-data-gone = başvurunun kişisel verileri silinmiş
mail-no-helpdesk-address = yardım masası e-posta adresi yapılandırılmamış
helpdesk-ticket-changed = e-İmza yenileme başvurusunda değişiklik

## Kişi listesi (roster) ve hatırlatmalar

roster-col-expires = Sertifika Bitiş Tarihi
roster-imported = { $count } kişi içe aktarıldı: { $added } yeni, { $updated } güncellendi.
roster-err-empty = Dosyada içe aktarılacak kişi bulunamadı.
roster-err-missing = Dosyanın başlık satırında şu sütunlar bulunamadı: { $columns }. Beklenen sütunlar: T.C. Kimlik No, Ad Soyad, Unvan, Kurum E-Posta, Sertifika Bitiş Tarihi.
roster-err-line = { $line }. satır, { $column }: { $problem }
roster-err-line-plain = { $line }. satır: { $problem }
roster-err-unreadable = satır okunamadı (tırnak işaretlerini kontrol edin).
roster-err-duplicate = aynı T.C. Kimlik No { $line }. satırda da var.
roster-err-nothing-taken = Dosyada hata olduğu için hiçbir kayıt alınmadı; düzeltip yeniden yükleyin.
roster-err-file = Dosya okunamadı: { $path }
mail-reminder-subject = e-İmza sertifikanızın süresi { $days ->
        [0] bugün
        [1] yarın
       *[other] { $days } gün sonra
    } doluyor
mail-reminder-body =
    Merhaba { $name },
    e-İmza (nitelikli elektronik) sertifikanızın geçerlilik süresi { $date } tarihinde sona eriyor.
    Yenilemeyi başlatmak için { $url } adresindeki yenileme asistanını açın ve /basla yazın; asistan gereken bilgileri alıp başvurunuzu bilgi işlem birimine iletecek.
    Yenileme, sertifikanın bitişinden en fazla 3 ay önce yapılabilir; süre dolmadan yapmanızı öneririz.

## Komut satırı

cli-bot-about = eimza destek botu: e-İmza yenileme başvurularını web sohbetinden alır, başvuru kaydını açar ve bilgi işlem masasını (/staff) sunar.
cli-bot-config = Yapılandırma dosyası (TOML). Verilmezse varsa eimza.toml, yoksa gömülü varsayılanlar kullanılır; EIMZA_CONFIG ortam değişkeniyle de verilebilir.
cli-help = Bu yardım metnini gösterir
cli-version = Sürüm bilgisini gösterir
cli-roster-about = Kişi listesini (sertifika bitiş tarihleriyle) CSV dosyasından içe aktarır
cli-roster-file = İçe aktarılacak CSV dosyası (UTF-8 ya da Windows-1254; ; ya da , ile ayrılmış)
cli-key-about = Veri anahtarıyla ilgili işlemler
cli-key-rotate-about = Şifreli tüm verileri yeni bir şifreleme anahtarıyla yeniden şifreler (bot durdurulmuşken çalıştırın; yarıda kalırsa yeniden çalıştırın)
key-rotated = { $count } kayıt yeni anahtarla yeniden şifrelendi. Anahtar dosyası: { $file }. Eski anahtar artık hiçbir şeyi açmıyor; bu dosyanın yedeğini yeniden alın.
key-rotate-env = Anahtar EIMZA_DATA_KEY ortam değişkeninden geliyor: anahtarı bir dosyaya (data/eimza.key) taşıyıp EIMZA_DATA_KEY'i kaldırdıktan sonra yeniden çalıştırın.

## Bilgi işlem masası: geçmiş satırları, günlük özet, komut satırı
history-assigned = Atandı
history-released = Atama kaldırıldı
history-internal-note = İç not eklendi
history-staff-answer = Başvuru sahibine yanıt verildi
staff-digest-subject = e-İmza yenileme: { $day } tarihli günlük özet
staff-digest-waiting = Bilgi işlem biriminde bekleyen başvurular ({ $count }):
staff-digest-stalled = { $days } iş gününden uzun süredir ilerlemeyen başvurular ({ $count }):
staff-digest-line = • { $ticket } — { $state } — { $days } iş günü — { $link }
staff-setup-link-printed = Henüz bilgi işlem masası hesabı yok. İlk yönetici hesabını oluşturmak için bu tek kullanımlık bağlantıyı { $hours } saat içinde açın: { $link }
cli-staff-about = Bilgi işlem masasının hesapları
cli-staff-add-about = Yeni bir hesap ekler; parolayı sorar
cli-staff-passwd-about = Bir hesabın parolasını değiştirir; açık oturumları kapatılır
cli-staff-list-about = Hesapları listeler
cli-staff-name = Kullanıcı adı (ör. ayse.kaya)
cli-staff-role = Yetki: viewer (izleyici), officer (görevli) ya da admin (yönetici)
cli-staff-password-prompt = Parola:{" "}
cli-staff-password-again = Parola (yeniden):{" "}

## İşletim: yedek, geri yükleme, yapılandırma denetimi
cli-log-format = Günlük biçimi: human (okunur metin, varsayılan) ya da json (her satır bir nesne)
cli-backup-about = SQLite veritabanının tutarlı bir kopyasını alır; bot çalışırken de olur
cli-backup-file = Yedek dosyası
cli-restore-about = Bir yedeği boş bir veri klasörüne geri yükler (aynı veri anahtarıyla)
cli-config-about = Yapılandırmayla ilgili işlemler
cli-config-check-about = Geçerli yapılandırmayı (gizli değerler gizlenerek) yazar, bilinmeyen anahtarları ve hatalı değerleri söyler
backup-done = Yedek alındı: { $file } ({ $size } MiB). Veri anahtarı (eimza.key ya da EIMZA_DATA_KEY) yedekte yoktur; onu ayrı ve güvenli bir yerde saklayın.
backup-postgres = Veritabanı PostgreSQL: yedek için pg_dump, geri yükleme için pg_restore kullanın; veri anahtarını da ayrıca saklayın (README, “Keep it”).
backup-target-exists = Bu adla bir dosya zaten var; üzerine yazılmadı. Başka bir dosya adı verin.
restore-database-exists = Veri klasöründe zaten bir veritabanı (eimza.db) var; üzerine geri yüklenmedi. Boş bir veri klasörü kullanın ya da eski veritabanını önce başka bir yere taşıyın.
restore-no-key = Veri anahtarı bulunamadı: yedeği alan kurulumun eimza.key dosyasını veri klasörüne koyun (ya da EIMZA_DATA_KEY verin) ve yeniden deneyin.
restore-wrong-key = Bu yedek başka bir veri anahtarıyla alınmış; bu anahtarla içindeki hiçbir şifreli veri okunamaz. Hiçbir şey geri yüklenmedi. Yedeği alan kurulumun anahtarını kullanın.
restore-not-a-backup = Bu dosya bir eimza yedeği (SQLite veritabanı) değil. Hiçbir şey geri yüklenmedi.
restore-done = Geri yüklendi: { $tickets } başvuru, gönderilmeyi bekleyen { $pending } ileti. Botu bu veri klasörüyle başlatabilirsiniz.
config-unknown-key = Bilinmeyen ayar: { $key } (yazım hatası olabilir; bu ayar yok sayılır).
config-bad-value = Hatalı değer: { $key }: { $problem }
config-ok = Yapılandırma geçerli.
backup-no-database = Yedeklenecek veritabanı bulunamadı: veri klasörünü doğru verin (yapılandırmadaki data_dir ya da EIMZA_DATA_DIR; paket kurulumunda: sudo -u eimza eimza-bot backup DOSYA --config /etc/eimza/eimza.toml). Veritabanı PostgreSQL ise pg_dump kullanın.

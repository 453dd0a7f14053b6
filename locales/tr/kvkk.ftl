# Kişisel verilerin korunması: aydınlatma metni (6698 sayılı Kanun, madde 10).
#
# Kurumun KVKK sorumlusu bu dosyayı kendi metniyle değiştirebilir: dosyayı düzenleyip botu
# yeniden başlatın (yeniden derleme gerekmez; bot `locales_dir` klasöründeki dosyaları okur).
# Değişkenler: $institution (kurumun adı), $retention_days (saklama süresi, gün),
# $channel (web, telegram, discord: kişinin yazdığı kanal), $helpdesk (yes: başvurular
# kurumun yardım masası sistemine de iletiliyor; no). Aynı kimlikler en/kvkk.ftl'de de olmalı.
# Aydınlatma metni bir rıza değildir: kişi okuduğunu onaylar ("Okudum, anladım").

kvkk-notice =
    Kişisel verilerin korunması hakkında aydınlatma metni (6698 sayılı KVKK, madde 10)
    Veri sorumlusu: { $institution }.
    İşlenen veriler: T.C. Kimlik No, ad soyad, unvan, kurum e-posta adresi, doğum tarihi ve bu sohbette yazdıklarınız.
    Amaç: nitelikli elektronik sertifikanızın (e-İmza) Kamu SM tarafından yenilenmesi için kurumsal başvurunun yapılması ve başvurunuzun takibi.
    Hukuki sebep ve toplama yöntemi: verileriniz, 5070 sayılı Elektronik İmza Kanunu ve ilgili mevzuat uyarınca kurumunuzun hukuki yükümlülüğünü yerine getirebilmesi ve e-İmza kullanımınızın sürebilmesi için işlenmesinin zorunlu olması hukuki sebebiyle işlenir (KVKK madde 5/2-a, ç ve e). Veriler otomatik yollarla toplanır: bu sohbette ve güvenli web formunda yazdıklarınızdan, eimza programının kartınızdan okuduğu sertifika bilgilerinden (ad soyad, T.C. Kimlik No, geçerlilik) ve bilgi işlem biriminin yüklediği kişi listesinden.
    Aktarım: kurumunuzun bilgi işlem birimine ve yenileme için Kamu SM'ye (TÜBİTAK BİLGEM).{ $channel ->
        [telegram] { " " }Telegram'da yazdıklarınız (ad soyad, unvan, e-posta, sorularınız) Telegram'ın yurt dışındaki sunucularında da işlenir.
        [discord] { " " }Discord'da yazdıklarınız (ad soyad, unvan, e-posta, sorularınız) Discord'un yurt dışındaki sunucularında da işlenir.
       *[other] { "" }
    }{ $helpdesk ->
        [yes] { " " }Başvurunuz kurumunuzun yardım masası sistemine de iletilir.
       *[other] { "" }
    }
    Saklama: T.C. Kimlik No ve doğum tarihi şifreli saklanır. Başvurunuz kapandıktan { $retention_days } gün sonra kişisel verileriniz silinir; /sil yazarak bunları istediğiniz an silebilirsiniz.
    Haklarınız (KVKK madde 11): kişisel verilerinizin işlenip işlenmediğini öğrenme, işlenmişse bilgi isteme, işlenme amacını ve amacına uygun kullanılıp kullanılmadığını öğrenme, aktarıldığı kişileri bilme, eksik ya da yanlışsa düzeltilmesini, silinmesini ve bunun aktarılanlara bildirilmesini isteme, yalnızca otomatik sistemlerle analiz edilmesi sonucunda aleyhinize bir sonuç çıkmasına itiraz etme ve kanuna aykırı işleme yüzünden zarara uğrarsanız tazminat isteme. Bu haklarınız için veri sorumlusuna ({ $institution }) yazılı olarak ya da kurumunuzun KVKK başvuru kanalından başvurabilirsiniz.
    Devam etmek için bu metni okuduğunuzu onaylayın.
btn-consent-yes = Okudum, anladım
btn-consent-no = Şimdi değil
consent-thanks = Teşekkürler. Başlayalım.
consent-reask = Kişisel verilerinizi sormadan önce aydınlatma metnini okuduğunuzu onaylamanız gerekiyor. Lütfen aşağıdaki düğmelerden birini seçin.
consent-declined = Anlaşıldı. Aydınlatma metnini okuduğunuzu onaylamadan kişisel veri istemiyorum ve başvuru açamıyorum. Hazır olduğunuzda /basla yazmanız yeterli.

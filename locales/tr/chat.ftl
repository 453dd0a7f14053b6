# Telegram, Discord, the web form for T.C. Kimlik No and birth date, and the staff chat.

## Hassas bilgiler için web formu
kvkk-web-form = Bu sohbet uygulamasının sunucuları yurt dışında olduğu için T.C. Kimlik No ve doğum tarihinizi burada sormuyorum: bu ikisini kurumunuzun kendi sunucusundaki güvenli bir forma gireceksiniz, böylece Türkiye'de kalırlar.
ask-web-form = T.C. Kimlik No ve doğum tarihinizi size gönderdiğim bağlantıdaki formda bekliyorum. Bağlantının süresi dolduysa “Yeni bağlantı” düğmesine basın.
btn-form-link = Yeni bağlantı
web-form-link =
    Son adım: T.C. Kimlik No ve doğum tarihinizi bu güvenli forma girin (bağlantı yalnızca bir kez ve { $minutes } dakika geçerlidir):
    { $url }
    Formu gönderdiğinizde sohbete buradan devam edeceğiz.
web-form-waiting = Güvenliğiniz için bu bilgiyi sohbette almıyorum ve yazdığınızı kaydetmedim. Ancak mesajınız bu sohbet uygulamasında duruyor: lütfen mesaja basılı tutup “Sil”i seçerek silin ve bilgiyi bağlantıdaki forma girin.
field-error = { $field }: { $error }

## Destek ekibine soru
question-forwarded = Sorunuzu { $ticket } numaralı başvurunuzla birlikte bilgi işlem birimine ilettim. Yanıt geldiğinde size buradan yazacağım.
question-unavailable = Bu kanaldan bilgi işlem birimine soru iletemiyorum. Başvurunuzun durumunu /durum ile görebilirsiniz; başka sorularınız için bilgi işlem birimiyle görüşebilirsiniz.
chat-ticket-notice = { $ticket }: { $notice }
staff-answer =
    { $ticket } numaralı başvurunuz hakkında bilgi işlemden { $staff } yazdı:
    { $text }

## Personel sohbeti
staff-post =
    { $what } — { $ticket }
    Ad Soyad: { $name }
    T.C. Kimlik No: { $tckn }
    Unvan: { $title }
    Kurum: { $institution }
    Durum: { $state }
staff-question-post =
    { $ticket } numaralı başvurunun sahibi soruyor:
    { $text }
    Yanıtlamak için bu mesajı yanıtlayın.
btn-staff-cancel = Başvuruyu iptal et
btn-staff-corporate-applied = Kurumsal başvuru yapıldı
btn-staff-form-sent = Form e-postası gönderildi
btn-staff-resend-card-step = Kart adımını yeniden gönder
btn-staff-answer = Yanıtla
staff-done-cancel = { $ticket } iptal edildi ({ $staff }). Başvuru sahibine bildirildi.
staff-done-corporate-applied = { $ticket }: kurumsal başvuru yapıldı olarak işaretlendi ({ $staff }). Başvuru sahibine bildirildi.
staff-done-form-sent = { $ticket }: yenileme formu e-postası gönderildi olarak işaretlendi ({ $staff }). Başvuru sahibine bildirildi.
staff-done-card-step-resent = { $ticket }: kart adımı başvuru sahibinin bilgisayarına yeniden gönderildi ({ $staff }).
staff-card-step-not-waiting = { $ticket } kart adımında değil (durum: { $state }); kart adımı yeniden gönderilmedi.
staff-already-done = { $ticket } için bu işlem zaten yapılmış.
staff-refused = { $ticket } için bu işlem yapılamadı: { $reason } (durum: { $state })
staff-unknown-button = Bu düğmeyi tanımıyorum; mesaj eski olabilir.
staff-unknown-ticket = Bu başvuru bulunamadı.
staff-not-allowed = Üzgünüm, bu düğmeler yalnızca yetkili bilgi işlem personeli içindir. Yetkiniz olması gerekiyorsa sistem yöneticinize başvurun.
staff-answer-sent = Yanıtınız { $ticket } başvurusunun sahibine iletildi.
staff-answer-empty = Boş bir yanıt gönderilemez.
staff-answer-gone = { $ticket } başvurusunun sahibinin kişisel verileri silinmiş; yanıt iletilemez.
staff-answer-failed = Yanıtınız { $ticket } başvurusunun sahibine şu an iletilemedi; lütfen biraz sonra yeniden deneyin.

## Telegram
telegram-text-only = Şimdilik yalnızca yazılı mesajları anlayabiliyorum. Lütfen yanıtınızı yazın.
too-many-messages = Kısa sürede çok fazla mesaj gönderdiniz; son mesajlarınızı yanıtlayamadım. Lütfen { $seconds } saniye bekleyip yeniden yazın.
tg-cmd-start = Yenileme başvurusunu başlat
tg-cmd-status = Başvurunun durumu ve geçmişi
tg-cmd-card = Kartımı yeniden denetle
tg-cmd-cancel = Başvuruyu iptal et
tg-cmd-help = Yardım
tg-cmd-pair = Bilgisayarımdaki eimza programını eşleştir
tg-cmd-devices = Eşleştirilmiş bilgisayarlar
tg-cmd-delete = Kişisel verilerimi sil
tg-cmd-english = Continue in English
tg-cmd-turkish = Türkçe devam et

## Discord
dc-cmd-renew = e-İmza yenileme başvurusunu başlat
dc-cmd-status = Başvurunun durumu ve geçmişi
dc-cmd-card = Kartınızı yeniden denetletin
dc-cmd-cancel = Başvuruyu iptal et
dc-cmd-help = Yardım
dc-cmd-delete = Kişisel verilerimi sil
dc-cmd-pair = Bilgisayarınızdaki eimza programını bağlamak için kod al
dc-cmd-devices = Bağlı bilgisayarlarınız
dc-cmd-english = Switch to English
dc-cmd-turkish = Türkçeye geç
dc-fill-form = Formu doldur
dc-answer = Yanıtla
dc-form-title = e-İmza yenileme başvurusu
dc-answer-title = Yanıtınız
dc-answer-label = Yanıtınız
dc-staff-answer-title = Başvuru sahibine yanıt
dc-guild-only = Bu komut yalnızca bilgi işlem kanalında kullanılabilir.
dc-unknown = Bu isteği anlayamadım. /yardim yazarak neler yapabileceğinizi görebilirsiniz.

# Web sohbet sayfası, JSON API hataları ve bilgi işlem görünümü.

web-title = e-İmza Yenileme Asistanı
web-subtitle = Nitelikli elektronik sertifika yenileme başvurusu
web-input-label = Mesajınız
web-input-placeholder = Mesajınızı yazın…
web-send = Gönder
web-new-chat = Yeni sohbet
web-connection-error = Sunucuya ulaşılamadı. Mesajınız gönderilmedi; lütfen bir süre sonra yeniden deneyin.
web-pin-removed = Bu mesaj güvenliğiniz için silindi.
web-you = Siz
web-bot = Asistan
web-privacy-note = e-İmza şifrenizi (PIN) buraya asla yazmayın.

api-error-unauthorized = Oturum anahtarı eksik ya da geçersiz.
api-error-not-found = Böyle bir sohbet oturumu yok.
api-error-bad-request = İstek okunamadı: “text” ya da “button” alanı olan bir JSON nesnesi bekleniyor.
api-error-too-long = Mesaj çok uzun; en fazla { $max } bayt gönderebilirsiniz.
api-error-empty = Boş mesaj gönderilemez.
api-error-rate-limited = Çok hızlı mesaj gönderiyorsunuz; lütfen biraz bekleyin.
api-error-internal = Beklenmeyen bir sorun oluştu; lütfen biraz sonra yeniden deneyin.

staff-page-title = e-İmza yenileme başvuruları
staff-unauthorized = Bu sayfa yalnızca bilgi işlem personeli içindir. Lütfen kullanıcı adınız ve parolanızla giriş yapın.
staff-count = Toplam { $count } başvuru
staff-filter-all = Tümü
staff-search-label = Ara (başvuru no, ad, e-posta)
staff-search-button = Ara
staff-col-number = Başvuru No
staff-col-state = Durum
staff-col-name = Ad Soyad
staff-col-tckn = TC Kimlik No
staff-col-title = Ünvan
staff-col-email = Kurum E-Posta
staff-col-opened = Açılış
staff-col-updated = Son değişiklik
staff-empty = Gösterilecek başvuru yok.
staff-back = Tüm başvurular
staff-timeline = Geçmiş
staff-col-when = Zaman
staff-col-actor = Kim
staff-col-from = Önceki durum
staff-col-to = Yeni durum
staff-col-note = Not
staff-personal-data-deleted = (silindi)
staff-not-found = Böyle bir başvuru bulunamadı.

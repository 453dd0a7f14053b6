# Privacy notice under Article 10 of Law No. 6698 (KVKK).
#
# The institution's data protection officer may replace this file with their own text: edit it
# and restart the bot (no rebuild; the bot reads the files in its `locales_dir` folder).
# Variables: $institution, $retention_days, $channel (web, telegram, discord), $helpdesk (yes,
# no). tr/kvkk.ftl must have the same ids. A privacy notice is acknowledged, not consented to.

kvkk-notice =
    Privacy notice on personal data (Law No. 6698, KVKK, Article 10)
    Data controller: { $institution }.
    Data processed: T.C. Kimlik No, full name, job title, institutional e-mail address, date of birth, and what you write in this chat.
    Purpose: making the institutional application to Kamu SM to renew your qualified electronic certificate (e-signature), and following up on your request.
    Legal basis and method of collection: your data is processed because it is necessary for your institution to meet its legal obligations under the Electronic Signature Law No. 5070 and related rules, and for you to keep using your e-signature (KVKK Article 5/2-a, ç and e). It is collected by automated means: from what you write in this chat and on the secure web form, from the certificate details the eimza program reads from your card (name, T.C. Kimlik No, validity), and from the staff list your IT department uploads.
    Transfers: to your institution's IT department and, for the renewal, to Kamu SM (TÜBİTAK BİLGEM).{ $channel ->
        [telegram] { " " }What you write on Telegram (name, title, e-mail, questions) is also processed on Telegram's servers abroad.
        [discord] { " " }What you write on Discord (name, title, e-mail, questions) is also processed on Discord's servers abroad.
       *[other] { "" }
    }{ $helpdesk ->
        [yes] { " " }Your request is also passed to your institution's help-desk system.
       *[other] { "" }
    }
    Retention: your T.C. Kimlik No and date of birth are stored encrypted. Your personal data is deleted { $retention_days ->
        [one] one day
       *[other] { $retention_days } days
    } after your request is closed; type /delete to delete it at once, at any time.
    Your rights (KVKK Article 11): to learn whether your data is processed and to ask about it, to learn the purpose and whether the data is used for it, to know to whom it was transferred, to have it corrected if incomplete or wrong and deleted, and to have the recipients informed, to object to a result against you from automated analysis only, and to claim compensation for damage from unlawful processing. To use these rights, apply in writing to the data controller ({ $institution }) or through your institution's KVKK application channel.
    To go on, please confirm that you have read this notice.
btn-consent-yes = I have read and understood it
btn-consent-no = Not now
consent-thanks = Thank you. Let's begin.
consent-reask = Before I ask for any personal data, please confirm that you have read the privacy notice. Choose one of the buttons below.
consent-declined = Understood. Until you confirm that you have read the privacy notice, I will not ask for personal data and cannot open a request. When you are ready, just type /start.

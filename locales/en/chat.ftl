# Telegram, Discord, the web form for T.C. Kimlik No and birth date, and the staff chat.

## Web form for sensitive data
kvkk-web-form = Because this chat app's servers are abroad, I do not ask for your T.C. Kimlik No and birth date here: you will enter those two on a secure form on your institution's own server, so they stay in Türkiye.
ask-web-form = I am waiting for your T.C. Kimlik No and birth date on the form behind the link I sent you. If the link has expired, press “New link”.
btn-form-link = New link
web-form-link =
    Last step: enter your T.C. Kimlik No and birth date on this secure form (the link works once and for { $minutes ->
            [one] one minute
           *[other] { $minutes } minutes
        }):
    { $url }
    Once you send the form, we continue here.
web-form-waiting = For your safety I do not take this in the chat, and I did not keep what you typed. Your message is still in this chat app, though: please press and hold it, choose “Delete”, and enter the information on the form behind the link.
field-error = { $field }: { $error }

## Questions for the support desk
question-forwarded = I passed your question to the IT department together with your application { $ticket }. I will write to you here when they answer.
question-unavailable = I cannot pass questions to the IT department from this channel. You can see your application's status with /status; for other questions please contact your IT department.
chat-ticket-notice = { $ticket }: { $notice }
staff-answer =
    { $staff } from the IT department wrote about your application { $ticket }:
    { $text }

## Staff chat
staff-post =
    { $what } — { $ticket }
    Full name: { $name }
    T.C. Kimlik No: { $tckn }
    Title: { $title }
    Institution: { $institution }
    State: { $state }
staff-question-post =
    The applicant of { $ticket } asks:
    { $text }
    Reply to this message to answer.
btn-staff-cancel = Cancel the application
btn-staff-corporate-applied = Institutional application made
btn-staff-form-sent = Form e-mail sent
btn-staff-resend-card-step = Send the card step again
btn-staff-answer = Answer
staff-done-cancel = { $ticket } cancelled ({ $staff }). The applicant was told.
staff-done-corporate-applied = { $ticket }: marked as institutional application made ({ $staff }). The applicant was told.
staff-done-form-sent = { $ticket }: marked as renewal form e-mail sent ({ $staff }). The applicant was told.
staff-done-card-step-resent = { $ticket }: the card step was sent to the applicant's computer again ({ $staff }).
staff-card-step-not-waiting = { $ticket } is not at the card step (state: { $state }); the card step was not sent again.
staff-already-done = This was already done for { $ticket }.
staff-refused = This could not be done for { $ticket }: { $reason } (state: { $state })
staff-unknown-button = I do not know this button; the message may be old.
staff-unknown-ticket = This application was not found.
staff-not-allowed = Sorry, these buttons are for authorised IT department staff only. If you should have access, please ask your administrator.
staff-answer-sent = Your answer was passed to the applicant of { $ticket }.
staff-answer-empty = An empty answer cannot be sent.
staff-answer-gone = The personal data of the applicant of { $ticket } was deleted; the answer cannot be passed on.
staff-answer-failed = Your answer could not be passed to the applicant of { $ticket } right now; please try again in a while.

## Telegram
telegram-text-only = For now I only understand written messages. Please type your answer.
too-many-messages = You sent too many messages in a short time; I did not handle the last ones. Please wait { $seconds ->
        [one] a second
       *[other] { $seconds } seconds
    } and write again.
tg-cmd-start = Start the renewal application
tg-cmd-status = Application status and history
tg-cmd-card = Check my card again
tg-cmd-cancel = Cancel the application
tg-cmd-help = Help
tg-cmd-pair = Pair the eimza program on my computer
tg-cmd-devices = Paired computers
tg-cmd-delete = Delete my personal data
tg-cmd-english = Continue in English
tg-cmd-turkish = Türkçe devam et

## Discord
dc-cmd-renew = Start the e-signature renewal application
dc-cmd-status = Application status and history
dc-cmd-card = Have your card checked again
dc-cmd-cancel = Cancel the application
dc-cmd-help = Help
dc-cmd-delete = Delete my personal data
dc-cmd-pair = Get a code to connect the eimza program on your PC
dc-cmd-devices = Your connected PCs
dc-cmd-english = Switch to English
dc-cmd-turkish = Türkçeye geç (switch to Turkish)
dc-fill-form = Fill in the form
dc-answer = Answer
dc-form-title = e-signature renewal application
dc-answer-title = Your answer
dc-answer-label = Your answer
dc-staff-answer-title = Answer to the applicant
dc-guild-only = This command can only be used in the IT department channel.
dc-unknown = I did not understand this request. Type /help to see what you can do.

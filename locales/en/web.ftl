# Web chat page, JSON API errors and the staff view.

web-title = e-Signature Renewal Assistant
web-subtitle = Renewal request for your qualified electronic certificate
web-input-label = Your message
web-input-placeholder = Type your message…
web-send = Send
web-new-chat = New chat
web-connection-error = The server could not be reached. Your message was not sent; please try again later.
web-pin-removed = This message was removed for your safety.
web-you = You
web-bot = Assistant
web-privacy-note = Never type your e-signature PIN here.

api-error-unauthorized = The session token is missing or invalid.
api-error-not-found = There is no such chat session.
api-error-bad-request = The request could not be read: a JSON object with a “text” or “button” field is expected.
api-error-too-long = The message is too long; at most { $max ->
        [one] one byte
       *[other] { $max } bytes
    } can be sent.
api-error-empty = An empty message cannot be sent.
api-error-rate-limited = Too many requests in a short time; please wait a moment and try again.
api-error-internal = Something unexpected went wrong; please try again shortly.

staff-page-title = e-Signature renewal requests
staff-unauthorized = This page is for IT department staff only. Please sign in with your user name and password.
staff-count = { $count ->
        [one] One request
       *[other] { $count } requests
    } in total
staff-filter-all = All
staff-search-label = Search (request no, name, e-mail)
staff-search-button = Search
staff-col-number = Request no
staff-col-state = Status
staff-col-name = Full name
staff-col-tckn = T.C. Kimlik No
staff-col-title = Job title
staff-col-email = Institutional e-mail
staff-col-opened = Opened
staff-col-updated = Last change
staff-empty = No requests to show.
staff-back = All requests
staff-timeline = History
staff-col-when = When
staff-col-actor = Who
staff-actor-applicant = Applicant
staff-actor-agent = Applicant's computer
staff-actor-staff = IT department
staff-actor-system = System
staff-col-from = Previous status
staff-col-to = New status
staff-col-note = Note
staff-actions = Actions
staff-cancel-reason = Reason for cancelling:
staff-cancel-reason-needed = Write a reason for cancelling (at most { $max ->
        [one] one character
       *[other] { $max } characters
    }).
staff-action-unknown = This action is not known. Reload the request's page and try again.
staff-back-to-ticket = Back to the request
staff-personal-data-deleted = (deleted)
staff-not-found = No such request.
staff-failed-mail = Messages that could not be delivered
staff-col-kind = Kind
staff-col-error = Error
staff-outbox-kind-email-code = E-mail verification code
staff-outbox-kind-reminder = Certificate expiry reminder
staff-outbox-kind-notify-applicant = E-mail notice to the applicant
staff-outbox-kind-notify-staff = E-mail notice to the IT department
staff-outbox-kind-helpdesk-forward = Forward to the help desk
staff-outbox-kind-person-chat = Message to the applicant's chat
staff-outbox-kind-staff-chat = Message to the IT department's chat
staff-outbox-kind-question = The applicant's question
staff-roster-title = Roster
staff-roster-label = Roster (CSV: T.C. Kimlik No, Ad Soyad, Unvan, Kurum E-Posta, Sertifika Bitiş Tarihi)
staff-roster-choose = Choose a file…
staff-roster-upload = Upload
staff-forbidden-origin = This request came from another site and was refused.
unsubscribe-title = e-Signature certificate reminders
unsubscribe-question = Do you want to stop the reminder e-mails sent before your certificate expires?
unsubscribe-button = Stop the reminders
unsubscribe-done = The reminder e-mails are stopped. You can use the renewal assistant whenever you want to renew.
unsubscribe-invalid = This link is not valid. Please use the complete link from the e-mail.

## The T.C. Kimlik No and birth date form (for people on Telegram and Discord)
form-title = e-signature renewal: identity details
form-intro = Enter your T.C. Kimlik No and birth date here. They are kept only on your institution's server, encrypted; they are not sent to the chat app.
form-tckn-hint = 11 digits; spaces are fine.
form-birth-hint = Day.month.year: 05.03.1980 or 5 March 1980
form-submit = Send
form-privacy = This link can be used only once.
form-done = Thank you, your details were received. You can go back to the chat: your summary is waiting there.
form-link-unknown = This link is not valid. Please use the whole link from the chat, or press “New link” in the chat.
form-link-used = This link was already used. To change the details, ask for a new link in the chat with “Edit”.
form-link-expired = This link has expired. Press “New link” in the chat to get a new one.

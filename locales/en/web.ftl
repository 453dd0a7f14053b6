# Web chat page, JSON API errors and the staff desk.

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
staff-col-note = Note
staff-actions = Actions
staff-cancel-reason = Reason for cancelling:
staff-cancel-reason-needed = Write a reason for cancelling (at most { $max ->
        [one] one character
       *[other] { $max } characters
    }).
staff-action-unknown = This action is not known. Reload the request's page and try again.
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

## The staff desk: login, accounts, list, ticket page
staff-login-title = IT department sign-in
staff-login-name = User name
staff-login-password = Password
staff-login-submit = Sign in
staff-login-hint = This page is only for your institution's IT department. If you have no account, ask your administrator.
staff-login-link = Go to the sign-in page
staff-login-missing = Enter your user name and password.
staff-login-wrong = Wrong user name or password. Please try again.
staff-login-throttled = There were too many failed sign-in attempts. Please try again in { $minutes ->
    [one] one minute
   *[other] { $minutes } minutes
}; if you forgot your password, ask your administrator.
staff-logged-out = You are signed out.
staff-logged-out-everywhere = Your sessions on every device are closed.
staff-session-ended = Your session has ended. Please sign in again.
staff-role-refused = Your account may not do this. Ask your administrator if you need it.
staff-nav-label = Staff desk
staff-nav-desk = Requests
staff-nav-admin = Administration
staff-signed-in-as = { $name } ({ $role })
staff-logout = Sign out
staff-logout-everywhere = Sign out everywhere
staff-role-viewer = Viewer
staff-role-officer = Officer
staff-role-admin = Administrator
staff-role-unknown = This role is not known; choose viewer, officer or admin.
staff-setup-title = First administrator account
staff-setup-intro = This link works once. Create the staff desk's first administrator account; add the other accounts later on the Administration page.
staff-setup-submit = Create the account and sign in
staff-setup-link-invalid = This set-up link is not valid, was used, or has expired. Restart the bot for a new link, or add an account with “eimza-bot staff add”.
staff-setup-done = The staff desk already has an account; this link is no longer valid. Please sign in.
staff-new-password = New password
staff-new-password-again = New password (again)
staff-password-hint = At least { $min ->
    [one] one character
   *[other] { $min } characters
}; not containing your user name.
staff-account-name-hint = 2–32 characters: lower-case letters a–z (no accented letters), digits, dot, hyphen or underscore (e.g. ayse.kaya).
staff-counts-label = Requests by state
staff-col-assigned = Assigned to
staff-col-waiting = Waiting
staff-col-birth = Date of birth
staff-col-role = Role
staff-col-address = Address
staff-waiting-days = { $days ->
    [one] { $days } working day
   *[other] { $days } working days
}
staff-assigned-any = All
staff-assigned-me = Assigned to me
staff-assigned-nobody = Assigned to nobody
staff-stalled-label = Waiting longer than (working days)
staff-sort-label = Sort by
staff-sort-dir = Order
staff-sort-number = Request number
staff-sort-waiting = Time waiting
staff-sort-state = State
staff-sort-name = Name
staff-sort-desc = Descending
staff-sort-asc = Ascending
staff-filter-clear = Clear filters
staff-filter-bad-state = The chosen state is not known; all states are shown.
staff-filter-bad-assigned = The assignment filter is not known; all requests are shown.
staff-filter-bad-stalled = For the waiting time, enter a number of working days from 0 to 1000; this filter was not applied.
staff-filter-bad-sort = The sort order is not known; sorted by request number.
staff-filter-bad-page = The page number is not valid; the first page is shown.
staff-export = Download this list (CSV, Excel)
staff-page-prev = ‹ Previous
staff-page-next = Next ›
staff-page-of = Page { $page } of { $pages }
staff-ticket-title = Request { $ticket }
staff-corporate-title = Data for the institutional application
staff-corporate-reveal = Show the data for the institutional application
staff-corporate-reveal-hint = The T.C. Kimlik No and the date of birth are shown only to be typed into Kamu SM's institutional application screen; each viewing is recorded in the access log with your name.
staff-corporate-logged = This viewing has been recorded in the access log. Type the data into Kamu SM's institutional application screen in this order; do not copy it anywhere else.
staff-corporate-officers-only = Only officer and administrator accounts may see the data for the institutional application.
staff-claim = Claim
staff-release = Release
staff-assign-to = Assign to:
staff-assign = Assign
staff-assigned = Request { $ticket } is now assigned to “{ $name }”.
staff-released = Request { $ticket } is no longer assigned to anyone.
staff-assign-unchanged = The request was already assigned that way; nothing changed.
staff-assign-unknown = A request can only be assigned to an active officer or administrator account.
staff-answer-title = Answer the applicant
staff-answer-hint = Your answer goes to the applicant's own chat with your name. Do not write a T.C. Kimlik No or a PIN.
staff-answer-send = Send the answer
staff-notes-title = Internal notes
staff-notes-hint = Only the IT department sees internal notes; they are never shown to the applicant.
staff-notes-none = No notes yet.
staff-note-label = New note
staff-note-add = Add the note
staff-note-added = The note was added.
staff-text-needed = Please write a text (at most { $max ->
    [one] one character
   *[other] { $max } characters
}).
staff-access-title = Access log
staff-access-none = Nobody has been shown this request's personal data yet.
staff-audit-title = Audit log
staff-audit-login = Sign-in
staff-audit-login-failed = Failed sign-in attempt
staff-audit-login-throttled = Sign-in blocked (too many failed attempts)
staff-audit-reveal = Institutional application data shown
staff-audit-export = List exported
staff-audit-setup = First administrator account created
staff-admin-title = Administration
staff-accounts-title = IT department accounts
staff-account-add-title = New account
staff-account-add = Add the account
staff-account-added = Account { $name } was added ({ $role }).
staff-account-changed = Account { $name } was updated; its open sessions were closed.
staff-account-change-role = Change the role
staff-account-disable = Close the account
staff-account-disabled = Closed
staff-account-yourself = You cannot change your own account here; use “eimza-bot staff passwd” or ask another administrator.
staff-account-name-invalid = A user name has 2–32 characters: only lower-case letters a–z (no accented letters), digits, dot, hyphen or underscore (e.g. ayse.kaya).
staff-account-taken = An account with this user name already exists.
staff-account-unknown = There is no such account.
staff-password-empty = The password cannot be empty.
staff-password-short = The password is too short: at least { $min ->
    [one] one character
   *[other] { $min } characters
}.
staff-password-long = The password is too long: at most 256 characters.
staff-password-name = The password must not contain the user name.
staff-password-mismatch = The two passwords you typed differ. Please try again.
staff-password-changed = The password of account { $name } was changed; its open sessions were closed.
staff-outbox-kind-digest = Daily digest
staff-search-tckn-officers = Only officer and administrator accounts may search by a full T.C. Kimlik No; the search was not applied. Search by request number, name or e-mail.
staff-search-tckn-limit = Too many searches by T.C. Kimlik No within an hour; the search was not applied. Please try again later or search by request number.
staff-corporate-not-now = This data is shown only after e-Onay is done, while the institutional application is being made.
staff-audit-search-tckn = Search by T.C. Kimlik No

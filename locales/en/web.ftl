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
api-error-too-long = The message is too long; at most { $max } bytes can be sent.
api-error-empty = An empty message cannot be sent.
api-error-rate-limited = You are sending messages too fast; please wait a moment.
api-error-internal = Something unexpected went wrong; please try again shortly.

staff-page-title = e-Signature renewal requests
staff-unauthorized = This page is for IT desk staff only. Please sign in with your user name and password.
staff-count = { $count } requests in total
staff-filter-all = All
staff-search-label = Search (request no, name, e-mail)
staff-search-button = Search
staff-col-number = Request no
staff-col-state = Status
staff-col-name = Full name
staff-col-tckn = TC Kimlik No
staff-col-title = Job title
staff-col-email = Institutional e-mail
staff-col-opened = Opened
staff-col-updated = Last change
staff-empty = No requests to show.
staff-back = All requests
staff-timeline = History
staff-col-when = When
staff-col-actor = Who
staff-col-from = Previous status
staff-col-to = New status
staff-col-note = Note
staff-personal-data-deleted = (deleted)
staff-not-found = No such request.

# Chat texts (English). Variable names must match the Turkish file.

## Greeting and privacy notice

welcome =
    Hello! I am the e-signature renewal assistant.
    I will collect what is needed to renew your qualified electronic certificate (e-İmza), open your request with the IT department and guide you through the next steps.
    I will ask for your Turkish ID number (T.C. Kimlik No), full name, job title, institutional e-mail address and date of birth; it takes about two minutes.

## Questions

ask-tckn = Please type your T.C. Kimlik No (Turkish ID number, 11 digits).
ask-name = Please type your first and last name as in the civil registry (example: Ayşe Yılmaz).
ask-title = What is your job title? Choose one below or type it.
ask-title-free = What is your job title? (example: Uzman, Şube Müdürü)
ask-email = Please type your institutional e-mail address. Accepted domains: { $domains }
ask-birth-date = Please type your date of birth as day.month.year (example: 05.03.1980 or 5 March 1980).

## Wrong input

err-tckn-empty = You did not type your ID number.
err-tckn-not-digits = A T.C. Kimlik No consists of digits only; no letters or other signs.
err-tckn-length = A T.C. Kimlik No has 11 digits; the number you typed has { $count ->
        [one] one
       *[other] { $count }
    }.
err-tckn-leading-zero = A T.C. Kimlik No cannot start with 0.
err-tckn-checksum = This is not a valid T.C. Kimlik No: a digit may be wrong or two digits swapped. Please check your ID card and type it again.
err-name-empty = You did not type your name.
err-name-one-word = Please type your first and last name together (at least two words).
err-name-invalid-char = A name may contain only letters, spaces, apostrophes (') and hyphens (-); “{ $char }” cannot be used.
err-name-too-long = A name can be at most { $max ->
        [one] one character
       *[other] { $max } characters
    } long.
err-title-too-short = A job title needs at least { $min } characters.
err-title-too-long = A job title can be at most { $max ->
        [one] one character
       *[other] { $max } characters
    } long; please shorten it.
err-title-control = The job title contains an unprintable character; please type plain text.
err-email-empty = You did not type your e-mail address.
err-email-invalid = This does not look like an e-mail address. Example: name.surname@kurum.gov.tr
err-email-domain = Only institutional addresses are accepted ({ $domains }). Personal addresses (gmail.com, hotmail.com and so on) cannot be used.
err-birth-format = I could not read that date. Please type day.month.year with a four-digit year: 05.03.1980, 5.3.1980, 05/03/1980 or 5 March 1980.
err-birth-month = “{ $month }” is not a month name I know. Type the Turkish month name (Ocak, Şubat … Aralık) or the month's number.
err-birth-no-such-date = There is no such day in the calendar: { $date }. (29 February exists only in leap years.)
err-birth-future = A date of birth cannot be after today; please check it.
err-birth-too-young = According to this date you would be younger than { $age }; please check the year.
err-birth-too-old = According to this date you would be older than { $age }; please check the year.

## Summary and editing

summary =
    Please check your details:
    T.C. Kimlik No: { $tckn }
    Full name: { $name }
    Job title: { $title }
    Institutional e-mail: { $email }
    Date of birth: { $birth_date }
    Request type: Renewal (Yenileme)
    If everything is right, press “Confirm”. To change a detail press “Edit”; to stop, “Cancel”.
summary-reask = Please choose one of the buttons under the summary, or type “confirm”, “edit” or “cancel”.
btn-confirm = Confirm
btn-edit = Edit
btn-cancel = Cancel
ask-edit-field = Which detail would you like to change?
edit-field-reask = I could not tell which detail you mean; please choose one of the buttons.
field-tckn = T.C. Kimlik No
field-name = Full name
field-title = Job title
field-email = Institutional e-mail
field-birth-date = Date of birth
btn-back = Back to the summary

## The request

ticket-opened = Your request has been received. Your request number: { $ticket }
ticket-next-step = Next: install the eimza helper program (eimza-agent) on the computer your e-signature card is plugged into, and pair it with this chat. Your IT department has the program. When you are ready, press the button below or type /pair. You can see your request's status any time with /status.

## Pairing a computer

btn-pair = Pair my computer
pair-code =
    Your pairing code: { $code }
    The code is valid for { $minutes ->
            [one] one minute
           *[other] { $minutes } minutes
        } and can be used once. On the computer where your e-signature card is plugged in, open the eimza program and type this code. If you use the command line, run:
    eimza-agent pair --server { $server } { $command_code }
    You will then see your computer's name here and approve the pairing. Do not share this code with anyone; the IT department will never ask you for it.
pair-request = The computer “{ $name }” ({ $os }) wants to pair with this chat. Approve if you typed the code into your own computer; reject if you do not recognise it.
btn-pair-approve = Approve
btn-pair-reject = Reject
pair-approved = Pairing complete: { $name } ({ $os }). The eimza program on this computer will now receive the steps of your request.
pair-card-step-queued = The card step of your request { $ticket } was sent to your computer. If the eimza program is running you will see a notification there within seconds; if your computer is offline, it will get it when it is back.
pair-rejected = Pairing rejected: “{ $name }” was not linked to this account. If you did not type the code, do not worry; type /pair for a new code.
pair-stale = This pairing request is no longer valid (it expired or was already answered). Type /pair for a new code.
devices-none = You have no paired computers.
devices-list =
    Your paired computers:
    { $devices }
    You can unlink a computer you no longer use below.
device-line = • { $name } ({ $os }), last seen: { $seen }
btn-unlink = Unlink { $name }
device-unlinked = The computer “{ $name }” was unlinked; the program on it can no longer connect to this account.
device-unlink-stale = This computer was already unlinked.
chat-reminder = Reminder: your e-signature certificate expires in { $days ->
        [one] one day
       *[other] { $days } days
    }, on { $date }. Type /start if you want to begin a renewal request.
agent-outdated = The eimza program on “{ $name }” is too old to connect to the server. Get the new version from your IT department and install it.
card-step-offline = Your computer is offline: the card step of your request { $ticket } has not reached it yet. It will be delivered by itself when you turn your computer on and run the eimza program (eimza-agent run).
card-step-delivered = A notification was sent to your computer: { $name } received the card step of your request { $ticket }.
eonay-no-card-step = No request on this computer is waiting for e-Onay. You can see your request's status with /status in the chat; if your card has not been checked yet, type /card in the chat.
card-ready =
    Your computer checked your e-signature card: the card and certificate are fine for renewing request { $ticket }.
    Next is e-Onay: follow the steps in the eimza window on your computer (if you do not use the window, run “eimza-agent eonay”). It opens Kamu SM's online services page, shows the steps one by one, and at the end confirms e-Onay with your card.
card-problems =
    Your computer checked your card for request { $ticket }. What to do:
    { $problems }
card-problems-waiting = Once you fix it, your computer will check the card again by itself.
card-problems-gave-up = Your computer waited a while but saw no card it could use. Once you have fixed the problem, press “Check the card again” or type /card.
card-problem-no-service = • The smart-card service is not running on the computer. Restart the computer; if it persists, contact the IT department.
card-problem-no-reader = • No card reader was found. Plug the reader into the computer (you can also try another USB port).
card-problem-no-card = • There is no card in the reader. Insert your e-signature card.
card-problem-card-busy = • Another program is using the card right now. Close other programs that work with e-signatures.
card-problem-not-akis = • The card in the reader is not an e-signature (AKİS) card. Insert the e-signature card Kamu SM gave you.
card-problem-no-certificate = • No readable e-signature certificate was found on the card. Contact the IT department.
card-problem-wrong-person = • The card belongs to someone else: the T.C. Kimlik No in its certificate is not the one in your request. Please insert your own card.
card-problem-not-kamu-sm = • The certificate on the card was not issued by Kamu SM; institutional renewal is only for Kamu SM certificates. Insert the card Kamu SM gave you.
card-problem-not-yet-valid = • The certificate on the card is not valid yet. Contact the IT department.
card-problem-expired = • The certificate on the card has expired; an expired certificate cannot be renewed. A new certificate application is needed; your IT department will contact you.
card-problem-renewal-window-not-open = • It is too early to renew: Kamu SM accepts a renewal at most 3 months before the certificate expires. You can renew from { $date }.
card-problem-renewal-window-not-open-undated = • It is too early to renew: Kamu SM accepts a renewal at most 3 months before the certificate expires.
card-problem-pin-locked = • The card's PIN is locked. You can unlock it with “Kilit Çözme” on Kamu SM's online services page.
card-problem-pkcs11 = • The AKİS card driver was not found or does not see the card. Install Kamu SM's AKİS card driver; if it persists, contact your IT department.
card-problem-other = • Something unexpected happened while reading the card. Take the card out and insert it again.
btn-card-recheck = Check the card again
card-step-resent = The card check for request { $ticket } was sent to the computer “{ $name }” again. Insert your card; the program will check it and report here.
card-recheck-queued = A card check was sent to your computer “{ $name }” ({ $ticket }); the result will be here in a few seconds.
card-recheck-not-needed = No card check is needed right now: your request is at “{ $state }”.
card-recheck-no-pc = No computer is paired for your request. To pair the computer your card is in, press the button below or type /pair.
attest-refused-chat =
    The e-Onay statement from your computer for request { $ticket } was not accepted; nothing changed in your request.
    { $reason }
btn-form-approved = I approved it
form-approved-thanks = Thank you, I have your approval for request { $ticket }.
form-approval-not-waiting = No renewal form is waiting for your approval right now: your request is at “{ $state }”. I will let you know when Kamu SM sends the “Yenileme Formu” e-mail.
form-approval-nothing-open = No renewal form is waiting for your approval right now: you have no open request. You can see your requests with /status.
already-open = You already have an open renewal request: { $ticket } ({ $state }). Only one request can be open at a time; type /status for details.
open-refused-tckn = A request with this T.C. Kimlik No is already open: { $ticket } ({ $state }). If you mistyped the number, change it with “Edit”; if the number is right, contact the IT department.

## Status

status-none = You have no request on record. Type /start to begin a renewal request.
status-collecting = We are still collecting your details; your request opens when you confirm the summary.
status-ticket =
    Request: { $ticket }
    Status: { $state }
    Opened: { $opened }
status-next = Next step: { $next }
status-history =
    History:
    { $events }
status-event = • { $at } — { $state } ({ $actor })
next-submitted = install the eimza program on your computer and pair it with this chat.
next-agent-paired = insert your e-signature card into the reader and follow the program's instructions.
next-card-step = complete e-Onay following the instructions in the eimza window on your computer (or with “eimza-agent eonay”).
next-eonay-done = your IT department makes the institutional application to Kamu SM.
next-corporate-applied = Kamu SM sends the “Yenileme Formu” e-mail to your institutional address.
next-form-email-sent = approve the “Yenileme Formu” that arrived at your institutional address, then say “approved” here.
next-completed = nothing more; Kamu SM will send your new card to your institution.
next-cancelled = nothing more. Type /start for a new request.
next-failed = your IT department will contact you.
actor-applicant = you
actor-staff = IT department
actor-agent = the eimza program on your computer
actor-system = system
state-collecting = Collecting details
state-submitted = Request received
state-agent-paired = Computer paired
state-card-step = Waiting for the card step
state-eonay-done = e-Onay completed
state-corporate-applied = Institutional application filed
state-form-email-sent = Renewal form e-mail sent
state-completed = Completed
state-cancelled = Cancelled
state-failed = Could not be completed

## Cancelling and deleting

nothing-to-cancel = You have no request or unfinished step to cancel.
cancel-confirm-draft = The details you have entered so far will be deleted and no request will be made. Are you sure?
cancel-confirm-ticket = Your request { $ticket } will be cancelled. This cannot be undone. Are you sure?
btn-cancel-yes = Yes, cancel
btn-cancel-no = No, continue
cancel-kept = All right, nothing is cancelled.
cancelled-draft = No request was made and the details you entered were deleted. Type /start to begin again.
cancelled-ticket = Your request { $ticket } has been cancelled. Type /start for a new request.
delete-confirm = All personal data you gave (ID number, name, job title, e-mail, date of birth) will be deleted at once; an open request will be cancelled. Are you sure?
btn-delete-yes = Yes, delete my data
btn-delete-no = No, keep it
delete-kept = Your data was not deleted.
delete-done = Your personal data has been deleted. The request history keeps only non-personal facts (dates and states).
yes-no-reask = Please type “yes” or “no”, or choose one of the buttons.

## General

help =
    Commands you can use:
    /start — starts a renewal request or continues where you left off
    /status — the status and history of your request
    /card — has your e-signature card checked again
    /cancel — cancels the request or the unfinished step
    /delete — deletes your personal data at once
    /pair — gives a code to pair the eimza program on your computer with this chat
    /devices — your paired computers; you can unlink them here
    /help — this help
    /turkce — Türkçeye geç
    Never type your e-signature PIN in the chat: the PIN is entered only in the eimza program on your own computer.
idle-hint = How can I help? Type /start for an e-signature renewal request, /status for the status of your request, or /help for help.
idle-hint-open = Your request { $ticket } is open. You can see its status with /status; if you have a question, you can write it here.
btn-start = Start a renewal request
resume = Let's continue where we left off.
unknown-command = I do not know the command “{ $command }”. Type /help to see the commands you can use.
stale-button = This button is no longer valid.
pin-warning = You just typed a 6-digit number; it may be your e-signature PIN. For your safety I deleted the message. Never type your PIN in the chat: it is entered only in the eimza program on your own computer.
pin-warning-undeletable = You just typed a 6-digit number; it may be your e-signature PIN. I cannot delete the message: please press and hold it and choose “Delete” now. If your PIN really got out, change it on Kamu SM's online services site or ask your IT department. Never type your PIN in the chat: it is entered only in the eimza program on your own computer.
lang-switched = We will continue in English from now on.
internal-error = Sorry, something unexpected went wrong and I could not process your message. Please send it again in a few minutes; if it keeps happening, tell your IT department.

## Refusals in the ticket life cycle

refusal-not-allowed = You are not allowed to do this.
refusal-closed = The request is closed; this can no longer be done.
refusal-too-early = Another step has to be completed before this one.

## Notifications (to the applicant and to the IT department)

notice-eonay-done = Your e-Onay has been verified. The IT department has been told to file the institutional application.
notice-corporate-applied = Your institutional application has been filed with Kamu SM. A “Yenileme Formu” (renewal form) e-mail will arrive at your institutional address.
notice-form-email-sent = Kamu SM has sent the “Yenileme Formu” e-mail to your institutional address ({ $email }). Please approve the form in that e-mail; then press “I approved it” in the chat or type “approved”.
notice-form-approval-reminder = Reminder: Kamu SM's “Yenileme Formu” e-mail is waiting for your approval at your institutional address ({ $email }). The renewal cannot complete until the form is approved. Once you have approved it, press “I approved it” in the chat or type “approved”.
notice-cancelled-by-staff = Your request was cancelled by the IT department. Please contact them with any questions.
notice-completed = Your renewal is complete. Kamu SM will send your new e-signature card to your institution.
notice-failed-card-locked = Your request was stopped because your e-signature card's PIN is locked. You can unlock it with “Kilit Çözme” (unlock) on Kamu SM's online services page, then start a new request. The IT department has been told as well.
notice-failed-certificate-expired = Your e-signature certificate has expired, so it cannot be renewed; a new certificate application is needed. The IT department will contact you.
staff-new-ticket = New e-signature renewal request
staff-eonay-done = e-Onay completed; the institutional application is due
staff-completed = Request completed
staff-cancelled = The applicant cancelled the request
staff-failed-card-locked = Request stopped: the card's PIN is locked (unlock needed)
staff-failed-certificate-expired = Request stopped: the certificate has expired (a new application, not a renewal, is needed)
history-agent-unlinked = Computer unlinked
staff-agents = Paired computers
staff-agents-none = This person has no paired computer.
staff-agent-seen = last seen { $seen }
staff-agent-revoke = Unlink
history-personal-data-deleted = Personal data deleted
history-personal-data-purged = Personal data deleted after the retention period
history-eonay-attested = e-Onay confirmed by a statement signed with the card
history-eonay-refused = e-Onay statement not accepted
history-card-step-resent = Card step sent to the computer again
history-new-certificate = New certificate seen on the card; request closed
history-cancel-reason = Reason for cancelling

## Date formats

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-long = { $month } { $day }, { $year }
datetime-long = { $date }, { $time }

## E-mail verification

email-code-sent = We sent a verification code to { $email }. It starts with “E-” and is valid for { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }.
ask-email-code = Please type the code that arrived at your institutional address ({ $email }). If no e-mail arrives within a few minutes, check the spam folder or ask for a new code.
btn-code-resend = Send the code again
btn-code-change = Change the e-mail address
email-verified = Thank you, your e-mail address is verified.
err-code-wrong = The code is wrong. You have { $tries ->
        [one] one try
       *[other] { $tries } tries
    } left.
err-code-format = This does not look like a verification code: it starts with “E-” followed by five letters or digits. You have { $tries ->
        [one] one try
       *[other] { $tries } tries
    } left.
err-code-expired = The code has expired. Please ask for a new one with “Send the code again”.
err-code-no-tries = Too many wrong tries. Please ask for a new code with “Send the code again”.
err-code-none = No valid code was sent to this address. Please ask for a new one with “Send the code again”.
err-code-send-limit = The number of codes for this request has been reached. Please contact the IT department, or type /cancel and start again later.
err-code-address-limit = Too many verification codes were sent to this address recently; a new one can be sent in { $minutes ->
        [one] a minute
       *[other] { $minutes } minutes
    }. You can use the last code that arrived, or try again then.

## E-mails

mail-code-subject = e-signature renewal: your e-mail verification code
mail-code-body =
    Hello,
    your code to verify your institutional e-mail address for your e-signature renewal request: { $code }
    Type the code in the chat window. It is valid for { $minutes ->
            [one] one minute
           *[other] { $minutes } minutes
        }.
    If you did not ask for this, ignore this e-mail; your address will not be used.
mail-applicant-subject = Your e-signature renewal request: { $ticket }
mail-applicant-body =
    Hello { $name },
    { $notice }
    Your request number: { $ticket }
    Status: { $state }
mail-staff-subject = [{ $ticket }] { $what }
mail-staff-body =
    { $what }
    Request: { $ticket }
    Status: { $state }
    Full name: { $name }
    T.C. Kimlik No: { $tckn }
    Job title: { $title }
    Institutional e-mail: { $email }
mail-footer = This e-mail was sent automatically by the e-signature renewal assistant (eimza); please do not reply.
mail-no-staff-address = no IT department e-mail address is configured
mail-personal-data-gone = the request's personal data has been deleted
mail-no-helpdesk-address = no help-desk e-mail address is configured
helpdesk-ticket-changed = Change in an e-signature renewal request

## Roster and reminders

roster-col-expires = Certificate expiry date
roster-imported = { $count ->
        [one] One person
       *[other] { $count } people
    } imported: { $added ->
        [one] one
       *[other] { $added }
    } new, { $updated ->
        [one] one
       *[other] { $updated }
    } updated.
roster-err-empty = The file has no people to import.
roster-err-missing = The header row lacks these columns: { $columns }. Expected columns: T.C. Kimlik No, Ad Soyad, Unvan, Kurum E-Posta, Sertifika Bitiş Tarihi.
roster-err-line = Line { $line }, { $column }: { $problem }
roster-err-line-plain = Line { $line }: { $problem }
roster-err-unreadable = the line could not be read (check the quotation marks).
roster-err-duplicate = the same T.C. Kimlik No is also on line { $line }.
roster-err-nothing-taken = Because of these errors nothing was imported; fix the file and upload it again.
roster-err-file = The file could not be read: { $path }
mail-reminder-subject = Your e-signature certificate expires { $days ->
        [0] today
        [1] tomorrow
       *[other] in { $days } days
    }
mail-reminder-body =
    Hello { $name },
    your e-signature (qualified electronic) certificate expires on { $date }.
    To start the renewal, open the renewal assistant at { $url } and type /start; it collects what is needed and passes your request to the IT department.
    Renewal is possible at most 3 months before expiry; we recommend doing it before the certificate runs out.

## Command line

cli-bot-about = eimza support bot: takes e-signature renewal requests in the web chat, opens the ticket and serves the staff desk (/staff).
cli-bot-config = Configuration file (TOML). Without it, eimza.toml if present, else the embedded defaults; can also be given with the EIMZA_CONFIG environment variable.
cli-help = Shows this help
cli-version = Shows the version
cli-roster-about = Imports the roster (with certificate expiry dates) from a CSV file
cli-roster-file = The CSV file to import (UTF-8 or Windows-1254; separated by ; or ,)
cli-key-about = Working with the data key
cli-key-rotate-about = Re-encrypts everything encrypted under a new encryption key (run it with the bot stopped; if it is interrupted, run it again)
key-rotated = { $count ->
        [one] One record was
       *[other] { $count } records were
    } re-encrypted under the new key. Key file: { $file }. The old key opens nothing any more; back this file up again.
key-rotate-env = The key comes from the EIMZA_DATA_KEY environment variable: move it into a key file (data/eimza.key), remove EIMZA_DATA_KEY, and run this again.

## The staff desk: history lines, daily digest, command line
history-assigned = Assigned to
history-released = Assignment removed
history-internal-note = Internal note added
history-staff-answer = Answer sent to the applicant
staff-digest-subject = e-signature renewal: daily digest for { $day }
staff-digest-waiting = Requests waiting on the IT department ({ $count ->
    [one] { $count }
   *[other] { $count }
}):
staff-digest-stalled = Requests that have not moved for more than { $days ->
    [one] one working day
   *[other] { $days } working days
} ({ $count ->
    [one] { $count }
   *[other] { $count }
}):
staff-digest-line = • { $ticket } — { $state } — { $days ->
    [one] { $days } working day
   *[other] { $days } working days
} — { $link }
staff-setup-link-printed = There is no staff desk account yet. To create the first administrator account, open this one-time link within { $hours ->
    [one] one hour
   *[other] { $hours } hours
}: { $link }
cli-staff-about = Staff desk accounts
cli-staff-add-about = Adds an account; asks for its password
cli-staff-passwd-about = Changes an account's password; its open sessions are closed
cli-staff-list-about = Lists the accounts
cli-staff-name = User name (e.g. ayse.kaya)
cli-staff-role = Role: viewer, officer or admin
cli-staff-password-prompt = Password:{" "}
cli-staff-password-again = Password (again):{" "}

## Operations: backup, restore, configuration check
cli-log-format = Log format: human (readable text, the default) or json (one object per line)
cli-backup-about = Takes a consistent copy of the SQLite database, also while the bot runs
cli-backup-file = The backup file
cli-restore-about = Restores a backup into an empty data folder (with the same data key)
cli-config-about = The configuration
cli-config-check-about = Prints the effective configuration (secrets hidden) and names unknown keys and bad values
backup-done = Backup written: { $file } ({ $size } MiB). The data key (eimza.key or EIMZA_DATA_KEY) is not in it; keep it apart, in a safe place.
backup-postgres = The database is PostgreSQL: use pg_dump to back up and pg_restore to restore, and keep the data key apart (README, “Keep it”).
backup-target-exists = A file with this name exists; it was not overwritten. Give another file name.
restore-database-exists = The data folder already holds a database (eimza.db); nothing was restored over it. Use an empty data folder, or move the old database away first.
restore-no-key = No data key found: put the eimza.key file of the installation that made the backup into the data folder (or set EIMZA_DATA_KEY) and try again.
restore-wrong-key = This backup was made with another data key; none of its encrypted data could be read with this one. Nothing was restored. Use the key of the installation that made the backup.
restore-not-a-backup = This file is not an eimza backup (a SQLite database). Nothing was restored.
restore-done = Restored: { $tickets ->
    [one] one request
   *[other] { $tickets } requests
}, { $pending ->
    [one] one message
   *[other] { $pending } messages
} waiting to be sent. Start the bot with this data folder.
config-unknown-key = Unknown setting: { $key } (perhaps a typo; it is ignored).
config-bad-value = Bad value: { $key }: { $problem }
config-ok = The configuration is valid.
backup-no-database = No database to back up: give the right data folder (data_dir in the configuration or EIMZA_DATA_DIR; in a package install: sudo -u eimza eimza-bot backup FILE --config /etc/eimza/eimza.toml). If the database is PostgreSQL, use pg_dump.

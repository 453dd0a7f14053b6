# eimza-agent (desktop helper) texts.

agent-about = eimza helper: does the steps that need your e-signature card safely on your own computer and reports your renewal request's progress to the IT department.
cli-usage = Usage:
cli-commands = Commands:
cli-value-name = NAME
cli-value-path = PATH
cli-value-method = METHOD
cli-value-code = CODE
cli-value-seconds = SECONDS
cli-options = Options:
cli-command-placeholder = COMMAND
cli-usage-error = The command line was not understood: “{ $argument }”. To see the commands and options: eimza-agent --help
cli-usage-error-plain = The command line was not understood. To see the commands and options: eimza-agent --help

## Command line

cli-card-about = Checks the card reader and the e-signature card; writes a check report the IT department can read over the phone
cli-card-json = Writes the report as JSON for machines
cli-card-sign-test = Asks for your PIN, signs a random text with the card and verifies the signature with the certificate
cli-card-watch = Prints readers and cards as they are plugged in and removed (Ctrl+C stops)
cli-card-reader = Uses only the reader with this name
cli-card-pkcs11 = Path of the PKCS#11 module to use (by default Kamu SM's akisp11 module is looked for in its usual places)
cli-card-backend = How to reach the card: auto, apdu or pkcs11
cli-card-tckn = The T.C. Kimlik No of the person the card must belong to
cli-card-issuer = An accepted certificate issuer name (may be given several times; default Kamu SM)
cli-bad-tckn = The T.C. Kimlik No given is not valid: it must have 11 digits and its last two digits must match.
cli-bad-backend = “{ $value }” is not known; write auto, apdu or pkcs11.

## Card diagnosis (eimza-agent card)

diag-title = e-signature card check report
diag-service-ok = Smart-card service (PC/SC): running
diag-service-down = Smart-card service (PC/SC): not running
diag-readers = Card readers ({ $count ->
        [one] one
       *[other] { $count }
    }):
diag-no-readers = Card reader: none found
diag-reader-empty = { $name }: no card
diag-reader-card = { $name }: card inserted, ATR { $atr }, { $family }
diag-not-akis = not an AKİS card
diag-reader-used = Reader used: { $name }
diag-backend-apdu = Card access: direct commands (APDU)
diag-backend-pkcs11 = Card access: PKCS#11 module ({ $path })
diag-holder = Certificate holder: { $name } (T.C. Kimlik No { $tckn })
diag-holder-no-tckn = Certificate holder: { $name } (no T.C. Kimlik No in the certificate)
diag-issuer = Issued by: { $issuer }
diag-validity = Valid: { $from } – { $to }
diag-window-open = Renewal: possible since { $date }
diag-window-later = Renewal: opens on { $date }
diag-tries-known = PIN tries left: { $tries ->
        [one] one
       *[other] { $tries }
    }
diag-tries-final = PIN tries left: 1 — the last one; a wrong PIN locks the card
diag-tries-locked = PIN locked
diag-tries-not-low = PIN tries: full (the card does not tell the number)
diag-tries-low = PIN tries: reduced (a wrong PIN was entered since the last correct one)
diag-usable = Result: the card can be used for the e-signature renewal.
diag-unusable = Result: the card cannot be used right now.

akis-family-uekae = AKİS (UEKAE, 2011–2019)
akis-family-tc = AKİS (TC, 2020 onwards)
akis-family-v1 = AKİS (first version, v1.0)

## Certificate checks

cert-no-tckn = The certificate on the card carries no T.C. Kimlik No; it is not a personal qualified e-signature certificate.
cert-wrong-person = This card belongs to someone else: it holds the certificate of { $card }, the request is for { $expected }. Please insert your own card.
cert-not-kamusm = This certificate was not issued by Kamu SM (issuer: { $issuer }). The institutional renewal is only for Kamu SM certificates.
cert-not-yet-valid = The certificate is not valid yet; it becomes valid on { $date }.
cert-expired = The certificate expired on { $date }. An expired certificate cannot be renewed; you need a new application to Kamu SM for a new certificate. Your IT department helps you with it.
cert-window-not-open = It is too early to renew: Kamu SM accepts a renewal at most 3 months before the certificate ends. You can renew from { $date }.

## Card errors

card-err-no-service = The smart-card service on this computer is not running. Start the “Smart Card” service on Windows, pcscd on Linux, or restart the computer.
card-err-no-reader = No card reader found. Plug in the reader's USB cable; if it is plugged in, try another USB port.
card-err-reader-gone = The card reader was not found or was removed. Plug it in again and retry.
card-err-no-card = There is no card in the reader. Insert your e-signature card with the chip facing the reader.
card-err-card-removed = The card was removed during the operation. Insert it again and start over; your PIN tries are not affected.
card-err-card-reset = The connection to the card was cut because another program used it (nothing on your card was erased). Close other e-signature programs and try again.
card-err-card-busy = Another program is using the card right now. Close other e-signature programs and retry.
card-err-not-akis = This is not an AKİS e-signature card (ATR { $atr }). Insert the e-signature card from Kamu SM; a bank card or ID card cannot be used for this.
card-err-no-certificate = No signing certificate was found on the card. The card may be empty or prepared for another purpose; contact the IT department.
card-err-bad-certificate = The certificate on the card cannot be read or is damaged. Remove and reinsert the card; if it persists, contact the IT department.
card-err-pin-locked = Your PIN is locked: the card locked after 3 wrong entries. You can unlock it under “Kilit Çözme” (unlock) on Kamu SM's online services site; sign in there with e-Devlet, or with your security word and an SMS. The renewal cannot go on until it is unlocked.
card-err-wrong-pin = Wrong PIN. Tries left: { $tries }. { $tries ->
        [1] One more wrong entry locks the card; if you are not sure of your PIN, stop and ask the IT department.
       *[other] You may enter your PIN again, carefully.
    }
card-err-wrong-pin-unknown = Wrong PIN. The card does not tell how many tries are left; 3 wrong entries lock it, so be careful.
card-err-last-try = You have one PIN try left. If it is wrong, the card locks, and only Kamu SM's “Kilit Çözme” (unlock) can open it again. A separate confirmation is needed to go on.
card-err-not-verified = The card does not do this without a verified PIN.
card-err-refused = The card refused the operation (status { $sw }). Remove and reinsert the card; if it persists, give this code to the IT department.
card-err-unexpected = Something unexpected happened while reading the card. Take the card out, insert it again and try again; if it persists, contact your IT department.
card-err-pkcs11-module = Kamu SM's card module cannot be used ({ $path }). Install Kamu SM's AKİS card driver or give the right module path.
card-err-no-token = The card module does not see an inserted card. Make sure the card is in the reader.
card-err-signature-invalid = The signature the card made does not verify with the certificate. The card may be faulty; contact the IT department.

pin-format-empty = No PIN entered. Your e-signature PIN is a 6-digit number.
pin-format-not-digits = A PIN is digits only (6 digits). Do not type letters, spaces or signs.
pin-format-length = The PIN must have 6 digits. This attempt was not sent to your card and did not cost a try.

## Sign test

sign-pin-prompt = Your e-signature PIN (not shown on screen):
sign-last-try-confirm = You have one PIN try left. A wrong PIN locks the card. If you still want to try, type YES:
sign-last-try-word = YES
sign-last-try-declined = All right, the PIN was not tried; your tries are unchanged.
sign-format-give-up = The PIN was entered in an invalid format three times; nothing was sent to the card.
sign-ok = Sign test passed: the card signed a random text and the signature verified with the certificate.
sign-not-possible = The sign test cannot be done; the problem above must be solved first.

## Card watching

watch-started = Watching readers and cards. Ctrl+C stops.
watch-reader-added = Reader plugged in: { $name }
watch-reader-removed = Reader removed: { $name }
watch-card-inserted = Card inserted ({ $name }): { $family }
watch-card-removed = Card removed ({ $name })
watch-service-stopped = The smart-card service stopped; waiting for it to come back.

## Pairing (eimza-agent pair)

cli-pair-about = Pairs this computer with your request in the chat (get the code by typing /pair in the chat)
cli-pair-server = The bot's address (e.g. https://eimza.kurum.gov.tr)
cli-pair-code = The pairing code from the chat (e.g. KQFM-DXZT)
cli-pair-name = The computer name shown in the chat (default: this computer's name)
cli-run-about = Runs in the background: stays connected to the bot, shows a notification when the card step arrives and checks the card
cli-status-about = Prints the pairing and connection status
pair-code-empty = No pairing code given. Get one by typing /pair in the chat.
pair-code-length = A pairing code has 8 letters (e.g. KQFM-DXZT); the code given has { $count ->
        [one] one
       *[other] { $count }
    }.
pair-code-character = “{ $char }” never appears in a pairing code: codes are consonants only (no digits, vowels or signs).
pair-bad-server = The server address “{ $server }” cannot be used. Type the full address starting with https:// (http:// only for a bot on this computer).
pair-err-unknown = This pairing code was not recognised. Make sure you typed it as shown in the chat, or get a new one with /pair.
pair-err-expired = This pairing code has expired. Type /pair in the chat for a new one.
pair-err-used = This pairing code was already used. Type /pair in the chat for a new one.
pair-err-too-many = Too many wrong codes were entered from this computer. For your safety you need to wait a while.
pair-err-rejected = The pairing was rejected in the chat. To pair this computer, get a new code with /pair in the chat.
pair-wait-minutes = You can try again in { $minutes ->
        [one] a minute
       *[other] { $minutes } minutes
    }.
pair-unreachable = The bot could not be reached ({ $server }). Check your internet connection and the address, then retry.
pair-server-error = The bot gave an unexpected answer. Retry a little later; if it persists, contact the IT department.
pair-waiting = Code accepted. Now go back to the chat and approve the pairing of “{ $name }”. Waiting for approval…
pair-done = Pairing complete. This computer will now receive the steps of your request. To run the program: eimza-agent run
pair-timeout = The approval did not come in time; nothing was paired. Get a new code with /pair in the chat and retry.
pair-save-failed = The pairing could not be saved ({ $path }). Check that the folder is writable.

## Link (eimza-agent run / status)

run-not-paired = This computer is not paired yet. First type /pair in the chat and run “eimza-agent pair” with the code you get.
run-connected = Connected to the server ({ $server }).
run-reconnecting = The connection dropped; reconnecting in { $seconds ->
        [one] a second
       *[other] { $seconds } seconds
    }.
run-card-step = Insert your e-signature card into the reader for request { $ticket }.
notify-card-step-title = e-signature renewal: please insert your card
notify-card-step-body = Insert your e-signature card into the reader for your request { $ticket }.
link-err-version = This eimza program does not match the server's version: please update the eimza program (your IT department has the new version).
link-err-protocol = A communication error happened between the bot and the program; the connection will be set up again.
link-err-unauthorized = The bot does not recognise this computer's pairing. Pair again with /pair in the chat.
link-err-revoked = This computer was unlinked; the program will no longer connect to the bot. To pair again, type /pair in the chat.
link-err-internal = Something unexpected happened at the bot; the connection will be set up again.
status-not-paired = Pairing: none. Type /pair in the chat and pair with “eimza-agent pair”.
status-paired = Pairing: { $server } (this computer: { $agent }), paired on { $date }
status-connected = Connection: connected (since { $since })
status-connecting = Connection: trying to connect (last attempt { $since })
status-offline = Connection: the program is not running. To start it: eimza-agent run
status-revoked = Connection: unlinked. To pair again, type /pair in the chat.
status-outdated = Connection: the program is out of date; please update the eimza program.

## e-Onay

attest-sentence = I declare that I have completed e-Onay for my request { $ticket }.
attest-refused-malformed = The e-Onay statement from your computer could not be read. Make sure the eimza program is up to date and run “eimza-agent eonay” again.
attest-refused-signature = The signature in the statement does not verify with the card's certificate. Take the card out, insert it again and run “eimza-agent eonay” again.
attest-refused-untrusted = The certificate on the card is not a Kamu SM certificate the institution trusts, or it cannot be used for signing. Use your own e-signature card from Kamu SM; if it persists, contact the IT department.
attest-refused-not-valid = The certificate on the card is not valid right now. Contact the IT department.
attest-refused-wrong-person = The card that signed the statement does not belong to the applicant. Insert your own card and run “eimza-agent eonay” again.
attest-refused-nonce = The statement has expired or was used before. Run “eimza-agent eonay” again: the program prepares a new statement.
attest-refused-revoked = The certificate on the card has been revoked; it cannot be renewed. Contact the IT department.
attest-refused-revocation-unknown = The certificate's revocation status could not be checked right now. Run “eimza-agent eonay” again in a few minutes; if it persists, contact the IT department.
attest-refused-state = Your request is not at the e-Onay step; the statement was not used. You can see your request's status with /status in the chat.
api-err-unreachable = The server could not be reached. Check your internet connection and try again in a little while.
api-err-unexpected = The bot gave an unexpected answer. Try again in a little while; if it persists, contact the IT department.
eonay-title = e-Onay step — { $ticket }
eonay-bad-url = “{ $url }” is not a page address that can be opened: it must start with https:// and contain no spaces.
eonay-card-ok = Your card is ready: Kamu SM certificate of { $name } ({ $tckn }).
eonay-browser-opened = Kamu SM's online services page opened in your browser: { $url }
eonay-open-yourself = Open this page in Chrome: { $url }
eonay-steps =
    Follow these steps on the page:
      1. If Kamu SM's card component is not installed, install it from the link on the page (Windows 64-bit or 32-bit).
      2. Type your own T.C. Kimlik No ({ $tckn }) and choose “AKİS” as the card type.
      3. Wait until the name “{ $name }” is read from your card, enter your e-signature PIN on Kamu SM's page and press “Form Onayla”.
      4. Press “E-Onay işlemleri”, choose “AKİS” again, wait for your name, enter your PIN and press “Onay”.
      5. When the page shows the success message, come back here.
    Enter your PIN only on Kamu SM's page and in this program; never type it in the chat.
eonay-confirm-prompt = Is e-Onay complete? (yes/no):
eonay-confirm-again = Please answer “yes” or “no”.
eonay-not-confirmed = All right. Run this command again once e-Onay is complete; nothing changed in your request.
eonay-statement =
    Now you confirm with your card that you completed e-Onay. The statement to sign (in Turkish, as the law requires):
      “{ $sentence }”
    Enter your e-signature PIN to sign it. The PIN never leaves this computer and is never stored.
eonay-key-unsupported = The card's key type cannot sign. Contact the IT department.
eonay-locked-reported = Your request was stopped because the card is locked, and the IT department was told. Once you have unlocked it with “Kilit Çözme”, start a new request in the chat.
eonay-not-signed = The statement was not signed; e-Onay was not reported to your institution. Run this command again when you are ready.
eonay-sending-saved = Sending the e-Onay statement for { $ticket } that was signed earlier but did not reach the server…
eonay-bot-unreachable-retrying = The server cannot be reached right now. Your signed statement is kept on this computer and will be sent again…
eonay-saved-for-later = The server could not be reached. Your signed statement is kept on this computer: run “eimza-agent eonay” again once the connection is back. The statement is valid for 5 minutes; after that you will be asked to sign again.
eonay-accepted = e-Onay confirmed: it is recorded on request { $ticket }, and the IT department was told to make the institutional application. You can follow the next steps in the chat.
run-card-ready = Your card is ready. Run “eimza-agent eonay” for the e-Onay step.
run-card-gave-up = Stopped waiting for the card. Once the problem is fixed, type /card in the chat or press “Check the card again”.
run-renewed-card = Your new e-signature card was seen; your renewal request is complete.
cli-run-card-wait = How many seconds the card step waits at most for a usable card
cli-eonay-about = The e-Onay step: opens Kamu SM's page, shows the steps, signs with your card that it is done and tells the bot
cli-eonay-url = Kamu SM's online services page to open
cli-eonay-no-browser = Do not open the browser; only show the address

## The window (eimza-agent window)

cli-window-about = Opens the program in a window: pairing, the card's state, the card step and e-Onay step by step
cli-window-hidden = Starts without showing the window (for login); the window comes forward when there is a step for you to take
gui-already-running = The eimza window is already open; it was brought forward.
gui-cannot-open = The window could not be opened ({ $reason }). You can go on at the command line with “eimza-agent run” and “eimza-agent eonay”.
gui-title = eimza
gui-tab-home = Home
gui-tab-settings = Settings
gui-link-not-paired = Not paired
gui-link-connecting = Connecting…
gui-link-connected = Connected
gui-link-offline = Offline — trying again in { $seconds ->
        [one] one second
       *[other] { $seconds } seconds
    }
gui-none = —

# The tray icon: its menu and tooltip.
gui-tray-open = Open
gui-tray-state = Status: { $state }
gui-tray-quit = Quit the program
gui-tray-offline = Offline
gui-tray-card-step = The card step is waiting for you

gui-pair-title = Pair this computer with your chat
gui-pair-intro = Type “/pair” in the chat or press “Pair my computer”, and enter the code you receive in the field below. You will then be asked to press “Approve” in the chat.
gui-pair-server = Server address
gui-pair-code = Pairing code
gui-pair-name = Computer name
gui-pair-name-hint = This name shows in the chat, so you can recognise your computer.
gui-pair-button = Pair
gui-pair-sending = Sending the code to the server…
gui-pair-waiting = In your chat, press “Approve” for the computer “{ $name }”. Waiting for your approval…

gui-eonay-start = Start the e-Onay step
gui-card-title = Card
gui-card-looking = Checking the card readers…
gui-card-reader = Reader
gui-card-card = Card
gui-card-present = Inserted
gui-card-absent = Not inserted
gui-card-family = Card type
gui-card-holder = Holder
gui-card-issuer = Issued by
gui-card-expiry = Valid until
gui-card-renewal = Renewal
gui-card-renewal-open = possible since { $date }
gui-card-renewal-later = possible from { $date }
gui-card-tries = PIN
gui-card-wrong-person = The card in the reader does not belong to the applicant. Please insert your own card.
gui-check-title = Self-check
gui-check-ok = Everything needed is in place.
gui-check-service = The smart-card service (PC/SC) is not running. Restart the computer; if that does not help, ask the IT department to start the smart-card service (“Smart Card” on Windows, pcscd on Linux).
gui-check-reader = No card reader was found. Plug the reader into the computer (another USB port may help).
gui-check-module = Kamu SM's card driver (the AKİS PKCS#11 module) was not found; the card is read directly, which is enough for e-Onay. To sign documents with your e-signature, install the driver from Kamu SM's site.
gui-copy-report = Copy the report for the IT department
gui-copied = The report was copied to the clipboard; you can send it to the IT department by e-mail or in the chat.

gui-wizard-title = Card step and e-Onay — { $ticket }
gui-wizard-title-plain = Card step and e-Onay
gui-step-card = Card check
gui-step-page = Kamu SM's page
gui-step-eonay = e-Onay steps
gui-step-sign = Statement and PIN
gui-step-send = Sending
gui-wizard-insert = Insert your e-signature card into the reader.
gui-wizard-waiting-card = Waiting for the card; it is checked as soon as you insert it.
gui-wizard-gave-up = The wait for the card timed out. Insert your card or fix the problem above, then press “Check now”.
gui-wizard-check-now = Check now
gui-wizard-checking = Checking your card…
gui-wizard-open-page-intro = You will now do e-Onay on Kamu SM's online services page. Press the button below to open it.
gui-wizard-open-page = Open Kamu SM's page
gui-wizard-eonay-done = I have completed e-Onay
gui-wizard-preparing = Preparing the statement…
gui-wizard-statement-intro = You will now sign with your card that you have completed e-Onay. The statement to sign:
gui-wizard-sign = Sign with PIN
gui-wizard-verifying = The card is checking the PIN…
gui-wizard-sending = Sending the signed statement to the server…
gui-wizard-retry = Try again
gui-wizard-close = Close
gui-saved-for-later = The server could not be reached. Your signed statement is kept on this computer; once the connection is back, press “Start the e-Onay step” again. The statement is valid for 5 minutes; after that you are asked to sign again.

gui-pin-title = e-signature PIN
gui-pin-label = PIN (6 digits)
gui-pin-digits-only = The PIN is made of digits only.
gui-pin-last-try = You have one try left. If the PIN is wrong, the card locks; only Kamu SM's “Kilit Çözme” (unlock) can open it. To go on, tick the box below; if you are not sure of your PIN, press “Cancel” and ask the IT department.
gui-pin-last-try-confirm = I want to use my last try
gui-pin-sign = Sign
gui-pin-cancel = Cancel
gui-pin-never-kept = The PIN never leaves this computer, is never stored, and is never tried again by itself if it is wrong.

gui-settings-title = Settings
gui-settings-language = Language:
gui-settings-start-at-login = Start at login
gui-settings-paired = This computer was paired with { $server } on { $date }.
gui-settings-unlink = Unpair this computer
gui-settings-unlink-sure = The pairing will be deleted from this computer only; this computer will no longer receive the steps of your request. To remove it from the chat as well, type “/cihazlar” there. Are you sure?
gui-settings-unlink-yes = Yes, unpair
gui-settings-log-folder = Open the log folder
gui-settings-failed = This could not be done.
gui-settings-version = Version { $version }
gui-settings-licences = eimza is distributed under the EUPL-1.2 licence. The libraries it uses (egui, tokio, rustls and others) are under MIT, Apache-2.0 and similar free licences.
gui-step-of = Step { $n ->
       *[other] { $n }
    } of { $total }:
gui-home-request = Request: { $ticket } (T.C. Kimlik No { $tckn })
gui-home-request-plain = Request: { $ticket }
gui-home-eonay-done = e-Onay is done for your request { $ticket }. Follow the next steps in the chat; when you insert your new card into this computer, the program recognises it and completes your request.
gui-settings-quit-hint = Closing the window keeps the program at work in the background (in the system tray); the window comes forward when there is a step for you to take.
gui-settings-quit = Quit the program
gui-language-name = English

-- Verification e-mails to all addresses together, counted per minute: the limit for all of
-- them together sums at most an hour of these (and counts only the rows of the minute the
-- hour starts in), where it counted every row of the hour, one by one, on every code sent.
CREATE TABLE mail_limit_minutes (
    minute INTEGER PRIMARY KEY,
    sent   BIGINT NOT NULL
);
INSERT INTO mail_limit_minutes (minute, sent) SELECT at / 60000, COUNT(*) FROM mail_limits GROUP BY at / 60000;

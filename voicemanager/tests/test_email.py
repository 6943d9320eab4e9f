"""Email goes through real SMTP to the local sink and is read back."""
from django.core.mail import send_mail

from e2e.services import message_text


def test_email_through_smtp_sink(mail):
    send_mail("Hello", "Body text", "from@example.com", ["someone@example.com"])
    [msg] = mail.wait_for("someone@example.com")
    assert msg["Subject"] == "Hello"
    assert "Body text" in message_text(msg)

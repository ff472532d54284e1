"""Messages that leave the practice by e-mail: a durable outbox written in the transaction of
the action that causes a message, sent afterwards by the background worker through the
practice's own SMTP server; confirmations and reminders of appointments, letters, invitations,
password resets and requests to acknowledge the policy; each client's consent to e-mail."""

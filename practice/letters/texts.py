"""The default text of each kind of letter, the placeholders each kind may use, and the
check that runs before a practice's own text is saved.

A text is plain paragraphs separated by blank lines. `{name}` is replaced by a fact from the
record; a placeholder that stands alone in a paragraph may hold a list (lines starting with
"- "). Doubled braces (`{{`, `}}`) are literal braces."""

from string import Formatter

from practice.errors import DomainError

COMMON = {
    "client_name": "the name the letter is addressed to",
    "practitioner_name": "the practitioner who signs the letter",
    "practice_name": "the practice's name",
    "practice_contact": "the practice's address, phone and e-mail",
    "date": "the date of the letter",
}
PLACEHOLDERS = {
    "referral": COMMON | {
        "need": "what the client needs",
        "specialist_name": "the colleague's name",
        "specialist_specialty": "what the colleague does",
        "specialist_contact": "the colleague's contact details (a list)",
    },
    "discontinuation": COMMON | {
        "breaches": "the facts the letter gives as reasons, one sentence per kind of breach and per incident (a list)",
        "reminders": "when and how the policy was communicated, as a sentence",
        "policy_dates": "the same as a list of dates",
        "policy": "the clauses of the policy on what the facts are about (a list)",
        "appointments": "the booked appointments cancelled, without charge, as a sentence",
        "money": "what is owed (or waived) and how to pay, as a sentence",
        "colleagues": "colleagues matched to the client's needs (a list)",
        "effective_date": "the date the decision takes effect",
    },
    "safety_discontinuation": COMMON | {"effective_date": "the date the decision takes effect"},
    "practice_full": COMMON | {
        "availability": "who is full, and a colleague in the practice with room, as sentences",
        "colleagues": "colleagues nearby accepting new clients (a list)",
    },
    "custom": dict(COMMON),
}
# What a text of each kind must say, whatever the practice writes around it.
REQUIRED = {
    "referral": ("specialist_name", "specialist_contact"),
    "discontinuation": ("breaches", "money", "effective_date"),
    "safety_discontinuation": ("effective_date",),
    "practice_full": ("availability", "colleagues"),
    "custom": (),
}

# Written for the client's benefit: thanks, the need, one colleague, an invitation to say
# whether it worked.
REFERRAL = """Dear {client_name},

Thank you for the time we have worked together. What matters most is that you get the care that suits you, and I have been thinking about how best to help with that.

You are looking for {need}. This is not something I offer, and I believe you will be better served by someone who works in this area every day.

I would like to introduce you to {specialist_name} ({specialist_specialty}). You can contact them here:

{specialist_contact}

You are welcome to mention that I suggested you get in touch. I would be glad to hear whether this turns out to be a good match for you: your answer helps me recommend the right colleague to others."""

# Plain and respectful: the decision once, the reasons as facts, only the rules that apply,
# what happens next (appointments, money, records, other practitioners). No apology, no
# argument, no judgement words, and nothing a client could read as a door left open.
DISCONTINUATION = """Dear {client_name},

I am writing to let you know that I have decided to end our professional relationship. From {effective_date}, the practice will no longer offer you appointments.

This decision follows these facts from our records:

{breaches}

{reminders}

The practice's policy on these points, which applies to every client, is:

{policy}

{appointments}

{money}

If you would like to continue treatment, these practitioners are taking new clients and may be able to help:

{colleagues}

You can ask for a copy of your records at any time by writing to {practice_name} at {practice_contact}. They are kept securely for as long as the law requires."""

# Shorter still: no reasons that could provoke, no colleague, nothing to reply to.
SAFETY_DISCONTINUATION = """Dear {client_name},

I am writing to let you know that the practice will no longer provide treatment to you, from {effective_date}.

Any appointments you had booked have been cancelled, without charge. Please do not come to the practice.

Any request for a copy of your records should be made in writing to {practice_name} at {practice_contact}."""

# Warm and true: who is full, a colleague here with room first, then colleagues nearby.
PRACTICE_FULL = """Dear {client_name},

Thank you for getting in touch with {practice_name}, and for thinking of us.

{availability}

If you would rather see someone else, these colleagues nearby have told us that they are welcoming new clients:

{colleagues}

I hope you find the care you are looking for, and I wish you well."""

# A few lines beside the composer's text, for the kind of letter being written.
TONE_GUIDES = {
    "discontinuation": (
        "State the decision once, plainly. Do not repeat it or argue it.",
        "Give the reasons as facts: what happened and when. Leave out feelings, guesses and words that judge.",
        "Quote only the rules the facts are about.",
        "Say what happens next: appointments, money, records, other practitioners.",
        "Be courteous, not warm: no apology, no hope for the future, nothing that invites a reply "
        "the practice does not want.",
    ),
    "safety_discontinuation": (
        "Keep it short: the decision, the date, the appointments cancelled, how to ask for records.",
        "Give no reasons and no details, and offer no colleague: nothing to argue with or reply to.",
        "Be courteous and plain: no apology, no judgement.",
    ),
    "referral": (
        "Say what the client needs and why this colleague can help, in the client's terms.",
        "Give the colleague's contact details in full.",
        "Be warm and brief; the client decides whether to get in touch.",
    ),
    "practice_full": (
        "Thank them for getting in touch.",
        "Say plainly who is full; offer a colleague here with room first, if there is one.",
        "Name colleagues nearby who take new clients, nearest first.",
    ),
    "custom": (
        "One subject a letter: what the client needs to know or do, and by when.",
        "Plain words, short sentences, dates in full.",
    ),
}

CUSTOM = """Dear {client_name},

"""

DEFAULTS = {
    "referral": REFERRAL,
    "discontinuation": DISCONTINUATION,
    "safety_discontinuation": SAFETY_DISCONTINUATION,
    "practice_full": PRACTICE_FULL,
    "custom": CUSTOM,
}
MAX_TEXT = 20_000


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a text uses, in order; DomainError (on "text") when a brace
    is unbalanced or a placeholder is not a plain name."""
    try:
        parts = list(Formatter().parse(text))
    except ValueError:
        raise DomainError("A brace is not closed or opened: write placeholders as {client_name}, "
                          "and a literal brace as {{ or }}.", field="text") from None
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise DomainError(f"{shown} is not a placeholder: use a plain name such as {{client_name}}.",
                              field="text")
        names.append(name)
    return names


def check_text(kind: str, text: str) -> str:
    """The text, trimmed, if every placeholder is known for `kind` and the required ones
    are there; else a DomainError naming what is wrong."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("Write the letter's text.", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(f"Keep the text under {MAX_TEXT:,} characters.", field="text")
    used = placeholders_in(text)
    unknown = sorted(set(used) - set(PLACEHOLDERS[kind]))
    if unknown:
        raise DomainError(f"Unknown placeholder{'s' if len(unknown) > 1 else ''}: "
                          f"{', '.join('{' + name + '}' for name in unknown)}. "
                          f"This kind of letter can use: {available(kind)}.", field="text")
    missing = [name for name in REQUIRED[kind] if name not in used]
    if missing:
        raise DomainError(f"This kind of letter must include {', '.join('{' + n + '}' for n in missing)}.",
                          field="text")
    return text


def available(kind: str) -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS[kind])


def fill(text: str, values: dict[str, str]) -> str:
    """The text with every placeholder replaced (the text has been checked)."""
    return text.format_map({name: values.get(name, "") for name in placeholders_in(text)}).strip()

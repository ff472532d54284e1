"""The base form of every page."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def _without_nul(value):
    # PostgreSQL refuses NUL in text and no person types one: drop it on the way in.
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [*unbound_field.kwargs.get("filters", []), _without_nul]
            return unbound_field.bind(form=form, filters=filters, **options)


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices a SelectField takes."""
    return [SelectChoice(value, label) for value, label in pairs]

"""The base form of every page, and the fields for dates and local times.

Dates typed anywhere stay within the supported range (practice.localtime), so no page does
arithmetic on year 9999. A local time that turns into an instant is a `LocalTimeField` or a
`LocalDateTimeField`: when the time happens twice (the clocks going back), the page asks
which one next to the field and the answer comes back as the field's `fold`."""

import copy
from datetime import date, datetime
from zoneinfo import ZoneInfo

import wtforms
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.utils import unset_value
from wtforms.widgets import HiddenInput
from wtforms.widgets.core import clean_key

from practice.localtime import FIRST_DAY, LAST_DAY, instant


def _without_nul(value):
    # PostgreSQL refuses NUL in text and no person types one: drop it on the way in.
    return value.replace("\x00", "") if isinstance(value, str) else value


# Date fields that could take any year; forms use the ones below instead. (A TimeField is a
# DateTimeField in WTForms, but has no date.)
_UNBOUNDED_DATES = (wtforms.DateField, wtforms.DateTimeField)


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, _UNBOUNDED_DATES) and not issubclass(
                    unbound_field.field_class, (_InRange, wtforms.TimeField)):
                raise TypeError(f"{type(form).__name__}: use practice.forms.DateField / "
                                "LocalDateTimeField, which keep dates within the supported range")
            filters = [*unbound_field.kwargs.get("filters", []), _without_nul]
            fast = _FAST_WIDGETS.get(id(getattr(unbound_field.field_class, "widget", None)))
            if fast is not None and "widget" not in unbound_field.kwargs:  # a field's own widget stays
                options = {"widget": fast, **options}
            return unbound_field.bind(form=form, filters=filters, **options)

    def hidden_tag(self, *fields):
        """The form's hidden fields (the CSRF token...) without ids: a page with many forms
        (a row of actions per appointment) would otherwise repeat id="csrf_token"."""
        shown = [getattr(self, f, None) if isinstance(f, str) else f for f in fields] or list(self)
        return Markup("\n".join(str(f(id=False)) for f in shown
                                if f is not None and isinstance(f.widget, HiddenInput)))


class Select(wtforms.widgets.Select):
    """WTForms' select, writing its options as plain strings: the same HTML, in a fraction of
    the time (WTForms' looks up how to call render_option and builds each option's attributes
    through html_params on every render; a page with a few selects spent a tenth of its time
    there). Options with attributes of their own, and groups, are left to WTForms."""

    def __call__(self, field, **kwargs):
        choices = list(field.iter_choices())
        if field.has_groups() or not all(isinstance(c, Choice) and not c.render_kw for c in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        for flag in self.validation_attrs:
            if flag not in kwargs and getattr(field.flags, flag, False):
                kwargs[flag] = getattr(field.flags, flag)
        options = "".join(_option(choice) for choice in choices)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def _option(choice: Choice) -> str:
    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
    # As WTForms writes it: attributes in name order, the label escaped.
    selected = "selected " if choice.selected else ""
    return f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>'


def html_params(**kwargs) -> Markup:
    """WTForms' html_params written as plain strings: the same attributes in name order, the
    same escaping, without a Markup.format for each attribute, which made the attributes the
    better part of rendering a field (the match page's referral form: about half)."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(clean_key(key))
        elif value is not False:
            params.append(f'{escape(clean_key(key))}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


class TextArea(wtforms.widgets.TextArea):
    """WTForms' textarea, its attributes written by html_params above."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        for flag in dir(field.flags):
            if flag in self.validation_attrs and flag not in kwargs:
                kwargs[flag] = getattr(field.flags, flag)
        return Markup(f"<textarea {html_params(name=field.name, **kwargs)}>\r\n{escape(field._value())}</textarea>")


def _fast_input(widget: wtforms.widgets.Input) -> wtforms.widgets.Input:
    # WTForms' inputs write their attributes with self.html_params: the same widget with ours.
    fast = copy.copy(widget)
    fast.html_params = html_params
    return fast


SELECT = Select()  # every single-choice SelectField's widget (Form.Meta.bind_field)
SELECT_MULTIPLE = Select(multiple=True)  # every SelectMultipleField's
# WTForms' widgets, by identity, and what Form.Meta.bind_field gives their fields instead.
_FAST_WIDGETS = {
    id(wtforms.SelectField.widget): SELECT, id(wtforms.SelectMultipleField.widget): SELECT_MULTIPLE,
    id(wtforms.TextAreaField.widget): TextArea(),
    **{id(widget): _fast_input(widget) for widget in {
        getattr(getattr(wtforms.fields, name), "widget", None) for name in wtforms.fields.__all__}
       if isinstance(widget, wtforms.widgets.Input)},
}


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices a SelectField takes."""
    return [SelectChoice(value, label) for value, label in pairs]


class _InRange:
    """Refuses a date outside the supported range (or a field's narrower one) as it is read;
    the field's data stays None, as for a date that does not parse."""

    first_day, last_day = FIRST_DAY, LAST_DAY
    unreadable: str | None = None  # the message for a date that does not parse (None: WTForms')

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            if self.unreadable is None:
                raise
            raise ValueError(self.unreadable) from None
        if self.data is not None and not self.first_day <= _day(self.data) <= self.last_day:
            self.data = None
            raise ValueError(f"Choose a date from {self.first_day.year} to {self.last_day.year}.")


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


class DateField(_InRange, wtforms.DateField):
    pass


class _AsksWhichOne:
    """Reads `<name>_fold` beside the field: the answer to "which one?" for a local time
    that happens twice. `fold_choices` is set (by web.show_error) when the page must ask."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        super().process(formdata, data, extra_filters)
        answer = formdata.get(f"{self.name}_fold") if formdata is not None else None
        self.fold = {"0": 0, "1": 1}.get(answer)
        self.fold_choices: list[tuple[str, str]] = []


class LocalTimeField(_AsksWhichOne, wtforms.TimeField):
    pass


class LocalDateTimeField(_AsksWhichOne, _InRange, wtforms.DateTimeLocalField):
    pass


def typed_instant(field, zone: ZoneInfo, *, day: date | None = None) -> datetime:
    """The UTC instant a LocalTimeField (on `day`) or a LocalDateTimeField names; a time that
    does not exist, or happens twice without an answer, is refused for this field."""
    wall = field.data if day is None else datetime.combine(day, field.data)
    return instant(wall.date(), wall.time(), zone, fold=field.fold, field=field.short_name)

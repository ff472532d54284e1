"""Every scheduling rule, by concern: the schedule's settings, availability, booking without
overlaps, attendance (arrivals and lateness, cancellations, no-shows, fee waivers) and
payments. Callers use this package as one module: `services.book(...)`.

Times are aware UTC datetimes; "a day" and "09:00" are in the practice's time zone. The
services change the session and flush; the caller's unit of work commits."""

from practice.scheduling.services.attendance import (
    UNDOABLE,
    FeeQuote,
    UnacknowledgedPolicy,
    cancel,
    cancel_terms,
    check_in,
    complete,
    mark_no_show,
    quote_cancel,
    quote_no_show,
    unacknowledged,
    undo,
    waive_fee,
)
from practice.scheduling.services.availability import (
    SLOT_STEP,
    DaySchedule,
    day_schedule,
    day_schedules,
    first_free_starts,
    free_slots,
    held_buffer,
)
from practice.scheduling.services.booking import (
    MAX_REPEATS,
    BookingRequest,
    Occurrence,
    appointment_facts,
    book,
    book_series,
    check_series,
    lock_schedule,
    move_refusal,
    reschedule,
    series_days,
)
from practice.scheduling.services.local_time import hhmm, local_day_bounds, local_moment
from practice.scheduling.services.payments import (
    MAX_AMOUNT,
    PAYMENT_METHODS,
    amount_due,
    amount_paid,
    client_balance,
    paid_at,
    parse_money,
    percent_of,
    record_payment,
)
from practice.scheduling.services.settings import (
    WEEKDAYS,
    add_time_block,
    calendar_settings,
    create_service,
    parse_day_ranges,
    read_week_hours,
    remove_time_block,
    schedule_for,
    set_feed_shows_names,
    set_working_hours,
    specialties_of,
    update_schedule,
    update_service,
)
from practice.settings.services import local_date, practice_zone

__all__ = [
    "MAX_AMOUNT", "MAX_REPEATS", "PAYMENT_METHODS", "SLOT_STEP", "UNDOABLE", "WEEKDAYS", "BookingRequest",
    "DaySchedule", "FeeQuote", "Occurrence", "UnacknowledgedPolicy", "add_time_block", "amount_due",
    "amount_paid", "appointment_facts", "book", "book_series", "calendar_settings", "cancel", "cancel_terms", "check_in",
    "check_series", "client_balance", "complete", "create_service", "day_schedule", "day_schedules",
    "first_free_starts", "free_slots", "held_buffer", "hhmm", "local_date", "local_day_bounds",
    "local_moment", "lock_schedule", "mark_no_show", "move_refusal", "paid_at", "series_days",
    "parse_day_ranges", "parse_money", "percent_of", "practice_zone", "quote_cancel", "quote_no_show",
    "read_week_hours", "record_payment",
    "remove_time_block", "reschedule", "schedule_for", "set_feed_shows_names",
    "set_working_hours", "specialties_of", "unacknowledged", "undo", "update_schedule", "update_service",
    "waive_fee",
]

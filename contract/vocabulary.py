"""Every name of the interface (docs/interface.md), typed, in one place.

The members are `StrEnum`s, so each one is its own string on the wire, in JSON, in SQL
parameters and in log lines. No module of the station, the central office, the tools or the
benchmarks writes one of these values as a literal (tests/contract/test_vocabulary.py fails if
one does).
"""

from __future__ import annotations

from enum import StrEnum


class Schema(StrEnum):
    """The `schema` string each payload carries."""

    JOB = "ektp.job/1"
    EVENT = "ektp.event/1"
    STATUS = "ektp.status/1"
    COMMAND = "ektp.cmd/1"
    REPLY = "ektp.reply/1"


class JobState(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    NEEDS_REVIEW = "needs_review"
    PRINTED = "printed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# A job that is not over yet: a NIK has at most one (the `jobs_one_active_per_nik` index).
ACTIVE_STATES = (JobState.QUEUED, JobState.PRINTING, JobState.NEEDS_REVIEW)


class JobReason(StrEnum):
    """Why a card is printed: a first card, or a replacement."""

    NEW = "new"
    DAMAGED = "damaged"
    LOST = "lost"
    DATA_CHANGE = "data_change"


class EventType(StrEnum):
    JOB_ACCEPTED = "job.accepted"
    JOB_REJECTED = "job.rejected"
    CARD_PRINTED = "card.printed"
    CARD_SPOILED = "card.spoiled"
    JOB_NEEDS_REVIEW = "job.needs_review"
    JOB_FAILED = "job.failed"
    JOB_CANCELLED = "job.cancelled"
    JOB_EXPIRED = "job.expired"
    CONSUMABLE_LOW = "consumable.low"
    CONSUMABLE_EMPTY = "consumable.empty"
    CONSUMABLE_RELOADED = "consumable.reloaded"
    ALERT_RAISED = "alert.raised"
    ALERT_CLEARED = "alert.cleared"
    JOB_RESOLVED = "job.resolved"  # an addition: a person decided a needs_review job
    CARDS_UNACCOUNTED = "cards.unaccounted"  # an addition: the printer counted cards the
    # station did not print
    # Additions (issue 26): the blanks' books, so that the central office reconciles them.
    LOT_RECEIVED = "lot.received"  # a lot countersigned: in stock
    LEDGER_ADJUSTED = "ledger.adjusted"  # a lot's stock corrected, with a reason
    BLANKS_DESTROYED = "blanks.destroyed"  # spoiled blanks destroyed under a record
    CARD_COLLECTED = "card.collected"  # the card handed to the citizen at the kiosk


class RejectCode(StrEnum):
    """`job.rejected`'s `code`."""

    INVALID_JSON = "invalid_json"
    INVALID_SCHEMA = "invalid_schema"
    INVALID_FIELD = "invalid_field"
    INVALID_NIK = "invalid_nik"
    NOT_PRR = "not_prr"
    TOO_LARGE = "too_large"
    CONFLICT = "conflict"
    DUPLICATE_NIK = "duplicate_nik"
    EXPIRED = "expired"
    UNSAFE_DELIVERY = "unsafe_delivery"  # an addition: published at QoS 0, or retained
    QUEUE_FULL = "queue_full"  # an addition: [queue] max_queued, or the disk's free-space floor


class FailCode(StrEnum):
    """`job.failed`'s `code` (an addition: the contract leaves these to the station)."""

    TOO_MANY_SPOILED = "too_many_spoiled"
    RENDER_FAILED = "render_failed"


class CommandName(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RESOLVE = "resolve"
    RELOAD = "reload"
    STATUS = "status"
    REPLAY = "replay"  # an addition: publish a range of events again
    JOBS = "jobs"  # the local control socket only
    SUBMIT = "submit"  # the local control socket only
    # Additions (issue 26), the local control socket only: accounts, duty and the blanks' books.
    ACCOUNT_ADD = "account-add"  # add a named person's account
    ACCOUNT_LIST = "account-list"  # list them, and who is on duty
    ON_DUTY = "on-duty"  # set the operator on duty (the panel's buttons act for them)
    LOT_RECEIVE = "lot-receive"  # a lot delivered, signed by the operator
    LOT_COUNTERSIGN = "lot-countersign"  # a supervisor countersigns a lot received
    LOT_ADJUST = "lot-adjust"  # a lot's books corrected, with a reason
    DESTROY_SPOILED = "destroy-spoiled"  # spoiled blanks in custody destroyed under a record
    BLANKS_REPORT = "blanks-report"  # the lots, custody and destructions
    COLLECT = "collect"  # a printed card handed to the citizen
    # Additions (issue 27), the local control socket only: passwords for the web page.
    ACCOUNT_PASSWORD = "account-password"  # set an account's password (and unlock it)
    LOGIN = "login"  # check a name and password; the socket answers with a session
    LOGOUT = "logout"  # end a session


class CommandErrorCode(StrEnum):
    INVALID_JSON = "invalid_json"
    INVALID_SCHEMA = "invalid_schema"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_ARGS = "invalid_args"
    UNKNOWN_JOB = "unknown_job"
    INVALID_STATE = "invalid_state"
    INTERNAL_ERROR = "internal_error"  # an addition: the station failed to run it
    NOT_AUTHORIZED = "not_authorized"  # an addition: the asker may not do this
    CMD_ID_REUSED = "cmd_id_reused"  # an addition: a cmd_id seen before, for another request
    UNSAFE_DELIVERY = "unsafe_delivery"  # an addition: a command published at QoS 0


class Consumable(StrEnum):
    CARDS = "cards"  # blanks in the feeder
    RIBBON = "ribbon"
    FILM = "film"  # retransfer film


class Resolution(StrEnum):
    """`resolve`'s `outcome`: what a person found of a `needs_review` card."""

    PRINTED = "printed"
    SPOILED = "spoiled"
    NOT_PRINTED = "not_printed"


class AttemptOutcome(StrEnum):
    """How one attempt at a card ended, as the station stores it."""

    PRINTED = "printed"
    SPOILED = "spoiled"
    NOT_PRINTED = "not_printed"  # the counter proved no blank was used
    UNKNOWN = "unknown"  # a person decides (needs_review)


class CardResult(StrEnum):
    """The virtual printer's `cards.jsonl` `result`."""

    PRINTED = "printed"
    SPOILED = "spoiled"


class FaultKind(StrEnum):
    """Faults a virtual printer can be given (`[printer.virtual] faults`); what the driver
    reports of them is a `PrinterFault`."""

    JAM = "jam"
    RIBBON_BREAK = "ribbon_break"
    COVER_OPEN = "cover_open"
    UNPLUG = "unplug"
    OVERHEAT = "overheat"
    FEEDER_EMPTY = "feeder_empty"
    RIBBON_END = "ribbon_end"


class FaultStage(StrEnum):
    """When a virtual printer's fault strikes card N (`[printer.virtual] faults`' `stage`)."""

    BEFORE_CARD = "before_card"  # the host starts card N: the job cannot start
    ON_CARD = "on_card"  # card N is fed and spoiled before the printer claims it
    AFTER_RELEASE = "after_release"  # card N is claimed, and spoiled once the host releases it


class BlockedJob(StrEnum):
    """What a virtual printer does with a job it cannot start (`[printer.virtual]
    blocked_job`)."""

    DROP = "drop"  # forgets it: the host sends it again
    KEEP = "keep"  # keeps it and prints it once the fault clears, unless the host resets it


class PrinterFault(StrEnum):
    """Why the printer refused a card (the driver's `Fault.kind`, docs/printer-protocol.md):
    the attempt's cause, and `job.needs_review`'s if the card counter moved all the same."""

    COVER_OPEN = "cover_open"
    FEEDER_EMPTY = "feeder_empty"
    RIBBON_OUT = "ribbon_out"
    FILM_OUT = "film_out"
    COOLING = "cooling"
    HEAD_TEMP = "head_temp"
    JAM = "jam"
    DISCONNECTED = "disconnected"
    PRINTER_ERROR = "printer_error"


class SpoilCause(StrEnum):
    """`card.spoiled`'s `cause`."""

    JAM = "jam"
    RIBBON_BREAK = "ribbon_break"
    RIBBON_OUT = "ribbon_out"  # the ribbon ended on the card
    COVER_OPEN = "cover_open"  # the cover was opened on the card
    RESOLVED_SPOILED = "resolved_spoiled"  # a person said so (`resolve ... spoiled`)


class ReviewCause(StrEnum):
    """`job.needs_review`'s `cause`, besides a fault kind the printer reported."""

    INTERRUPTED = "interrupted"  # the station stopped mid-card
    UNKNOWN = "unknown"


class StationState(StrEnum):
    STARTING = "starting"
    READY = "ready"
    PRINTING = "printing"
    COOLING = "cooling"
    PAUSED = "paused"
    BLOCKED = "blocked"
    ERROR = "error"
    STOPPING = "stopping"
    OFFLINE = "offline"


class Reason(StrEnum):
    """The status's `reasons`: every condition in force, in the order of the state's
    precedence (an addition to the contract's status)."""

    PRINTER_MISSING = "printer_missing"
    COVER_OPEN = "cover_open"
    CARDS_EMPTY = "cards_empty"
    RIBBON_EMPTY = "ribbon_empty"
    FILM_EMPTY = "film_empty"
    REVIEW_PENDING = "review_pending"
    PRINTER_ERROR = "printer_error"
    PRINTER_JOB = "printer_job"  # the printer shows a job claimed or in progress: it settles first
    DAILY_LIMIT = "daily_limit"
    HOURLY_LIMIT = "hourly_limit"
    HEAD_COOLING = "head_cooling"
    PRINTER_COOLING = "printer_cooling"


EMPTY_REASONS = {
    Consumable.CARDS: Reason.CARDS_EMPTY,
    Consumable.RIBBON: Reason.RIBBON_EMPTY,
    Consumable.FILM: Reason.FILM_EMPTY,
}


class AlertCode(StrEnum):
    """`alert.raised`'s `code` besides the reasons a person must see (`ALERT_REASONS`)."""

    STORAGE_ERROR = "storage_error"
    POWER_FAIL = "power_fail"
    MESSAGES_UNACKED = "messages_unacked"  # a job or command the broker will deliver again
    RELOAD_MISMATCH = "reload_mismatch"  # the printer's count after a reload is not the booked
    CARDS_UNACCOUNTED = "cards_unaccounted"  # the printer counted cards the station did not print


ALERT_REASONS = frozenset(
    {
        Reason.PRINTER_MISSING,
        Reason.COVER_OPEN,
        Reason.CARDS_EMPTY,
        Reason.RIBBON_EMPTY,
        Reason.FILM_EMPTY,
        Reason.REVIEW_PENDING,
        Reason.PRINTER_ERROR,
    }
)


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Requester(StrEnum):
    """Who asked (`job.cancelled`'s `by`, a job's source)."""

    LOCAL = "local"  # the kiosk's control socket or panel
    REMOTE = "remote"  # a command over MQTT
    MQTT = "mqtt"  # a job from the central office


class ActionSource(StrEnum):
    """How a manual action came (`job.resolved`'s `by`, the audit table's `how`)."""

    LOCAL = "local"  # the kiosk's control socket
    REMOTE = "remote"  # a command over MQTT
    PANEL = "panel"  # the operator panel's buttons


class Role(StrEnum):
    """An addition (issue 26): a named person's role at the station. A supervisor countersigns
    lots, lowers the books and destroys spoiled blanks; an operator does the rest."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"


AUDITED_COMMANDS = frozenset(
    {
        CommandName.PAUSE,
        CommandName.RESUME,
        CommandName.CANCEL,
        CommandName.RESOLVE,
        CommandName.RELOAD,
        CommandName.SUBMIT,
        CommandName.REPLAY,
        CommandName.ACCOUNT_ADD,
        CommandName.ON_DUTY,
        CommandName.LOT_RECEIVE,
        CommandName.LOT_COUNTERSIGN,
        CommandName.LOT_ADJUST,
        CommandName.DESTROY_SPOILED,
        CommandName.COLLECT,
        CommandName.ACCOUNT_PASSWORD,
        CommandName.LOGIN,
    }
)
"""Manual actions: each is stored in the audit table with who asked, how, and its effect."""


class LogLevel(StrEnum):
    """`[log] level`."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

"""The printer's command language: which handler answers each command, and with what text.

A command is looked up by its name and first parameter (`Rco;c`), then by its name alone. An
unknown name is refused `CMD`, a known name with other parameters `PARAM` (replies.py); the
virtual printer's own commands (`X…`: `Xst`, `Xrl`, docs/printer-protocol.md) are unknown
with its extensions off. The commands of a card job (card_job.py, and the job's settings
around them) are never answered, and a job setting this printer has no use for is taken as
it comes.
"""

from __future__ import annotations

from collections.abc import Callable

from evolis_wire.frames import StatusBlock

from . import replies as r
from .card_job import JobStream
from .host_settings import HostSettings
from .mechanics import Mechanics
from .misreport import Misreport
from .models import PrinterInfo
from .protocol import Command

RIBBON_TYPE_YMCKO = 0  # libevolis' ribbon type code, as `Pr;0;t` names it
# The commands of a streamed card job: never answered one by one.
JOB_COMMANDS = frozenset(
    {"Ss", "Sr", "Sv", "Db", "Se", "Pr", "Psync", "Pcla", "Psmgr", "Ppws", "Ppmode", "Pwres"}
    | {"Psk", "Piqla", "Pmc", "Peoic", "Pc", "Pl", "Pida", "Mr"}
)

Handler = Callable[[Command], str | None]


class CommandSet:
    """The answers of one printer, from its parts."""

    def __init__(
        self,
        *,
        info: PrinterInfo,
        extensions: bool,
        mechanics: Mechanics,
        jobs: JobStream,
        settings: HostSettings,
        status_block: Callable[[], StatusBlock],
        misreport: Misreport,
    ) -> None:
        self._info = info
        self._misreport = misreport
        self._mechanics = mechanics
        self._jobs = jobs
        self._settings = settings
        # Without its extensions the printer knows no `X…` command, as a real printer.
        self._handlers = {
            key: handler
            for key, handler in self._table(status_block).items()
            if extensions or not key[0].startswith("X")
        }

    def answer(self, command: Command) -> str | None:
        """The reply text to `command`; None for the commands of a card job."""
        try:
            text = self._handler(command)(command)
        except r.Refused as refused:
            text = r.failure(refused.refusal, self._settings.mode)
        return None if command.name in JOB_COMMANDS else text

    def _handler(self, command: Command) -> Handler:
        first = command.params[0] if command.params else None
        handler = self._handlers.get((command.name, first)) or self._handlers.get(
            (command.name, None)
        )
        if handler is not None:
            return handler
        if command.name in JOB_COMMANDS:
            return lambda _: None  # a job setting this printer takes as it comes
        if any(name == command.name for name, _ in self._handlers):
            raise r.Refused(r.BAD_PARAMETER)
        raise r.Refused(r.UNKNOWN_COMMAND)

    def _table(
        self, status_block: Callable[[], StatusBlock]
    ) -> dict[tuple[str, str | None], Handler]:
        info, mechanics, jobs, settings = self._info, self._mechanics, self._jobs, self._settings
        return {
            ("Rtp", None): lambda _: info.full_name,
            ("Rtp", "d"): lambda _: info.model,
            ("Roem", None): lambda _: info.maker,
            ("Rsn", None): lambda _: info.serial,
            ("Rfv", None): lambda _: info.firmware,
            ("Rkn", None): lambda _: info.head_kit,
            ("Rzp", None): lambda _: info.zone,
            ("Rok", None): lambda _: "OK",
            ("Rpst", None): lambda _: status_block().hex(),
            ("Pps", None): settings.set_status,
            ("Psid", None): settings.reserve,
            ("Rem", None): lambda _: str(settings.mode),
            ("Pem", None): settings.set_error_mode,
            ("Rco", "c"): self._card_counter,
            ("Rco", "p"): lambda _: str(mechanics.state.panels_printed),
            ("Rrt", "all"): self._ribbon_info,
            ("Rrt", "progress"): lambda _: str(mechanics.ribbon_used_percent()),
            ("Rrt", "count"): lambda _: str(mechanics.state.ribbon),
            ("Rrt", "qty"): lambda _: str(mechanics.state.ribbon_capacity),
            ("Rlr", "p"): self._card_position,
            ("Sk", "f"): lambda _: "EMPTY" if mechanics.state.cards == 0 else "OK",
            ("Rse", "o"): lambda _: "OPEN" if mechanics.cover_open() else "CLOSED",
            ("Scs", None): self._clear_errors,
            ("Ser", None): self._clear_errors,
            ("Seb", None): self._clear_errors,
            ("Sce", None): self._eject,
            ("Srs", None): self._reset,
            ("Xst", None): lambda _: mechanics.level_line(),
            ("Xrl", None): self._reload,
            # The card job (not answered)
            ("Ss", None): jobs.start,
            ("Sr", None): lambda _: jobs.turn("front"),
            ("Sv", None): lambda _: jobs.turn("back"),
            ("Db", None): jobs.download,
            ("Se", None): jobs.end,
            ("Pcla", None): jobs.claim_mode,
        }

    def _card_position(self, _: Command) -> str:
        if self._mechanics.state.jammed:
            return "ERR CARD"
        return "CARD" if self._mechanics.busy() else "NO CARD"

    def _card_counter(self, _: Command) -> str:
        told = self._misreport.card_counter
        return str(self._mechanics.state.card_counter if told is None else told)

    def _ribbon_info(self, _: Command) -> str:
        s = self._mechanics.state
        told = self._misreport.ribbon_count
        lines = {
            "label": "YMCKO",
            "zone": self._info.zone,
            "type": RIBBON_TYPE_YMCKO,
            "ref": "R5F008S14",
            "qty": s.ribbon_capacity,
            "count": s.ribbon if told is None else told,
            "date": 0,
            "evosn": self._info.serial,
            "m3": "",
            "k7": "",
        }
        return "\n".join(f"{key}: {value}" for key, value in lines.items())

    def _clear_errors(self, _: Command) -> str:
        """`Scs` clears a mechanical error, `Ser`/`Seb` reject the card: a jammed card goes to
        the reject box either way."""
        self._mechanics.clear_jam()
        return self._settings.ok()

    def _eject(self, _: Command) -> str:
        if self._mechanics.state.jammed:
            raise r.Refused(r.MECHANICAL)
        return self._settings.ok()

    def _reset(self, command: Command) -> str:
        self._jobs.reset()
        return self._clear_errors(command)

    def _reload(self, command: Command) -> str:
        params = command.params
        if len(params) not in (2, 3) or not all(p.isdigit() for p in params[1:]):
            raise r.Refused(r.BAD_PARAMETER)
        capacity = int(params[2]) if len(params) == 3 else None
        try:
            self._mechanics.reload(params[0], int(params[1]), capacity)
        except ValueError as error:
            raise r.Refused(r.BAD_PARAMETER) from error
        return self._settings.ok()

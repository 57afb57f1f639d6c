"""Who is at the other end of the control socket (the kernel's SO_PEERCRED), and whether they
may take a manual action: a configured operator, a member of an operator group, or root."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct
from dataclasses import dataclass

from contract.vocabulary import AUDITED_COMMANDS, ActionSource
from controller.queue.audit import Actor

_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass(frozen=True)
class Peer:
    pid: int
    uid: int
    gid: int
    user: str  # the uid's name, or `uid N` when it has none
    groups: frozenset[str]

    @property
    def actor(self) -> Actor:
        return Actor(
            ActionSource.LOCAL,
            f"{self.user} (uid {self.uid}, pid {self.pid})",
            user=self.user,
            superuser=self.uid == 0,
        )


def peer_of(connection: socket.socket) -> Peer:
    """The credentials the kernel recorded when the peer connected (they cannot be forged)."""
    pid, uid, gid = _credentials(connection)
    try:
        user = pwd.getpwuid(uid).pw_name
        group_ids = os.getgrouplist(user, gid)
    except KeyError:
        user, group_ids = f"uid {uid}", [gid]
    return Peer(pid, uid, gid, user, frozenset(_group_names(group_ids)))


def peer_uid(connection: socket.socket) -> int:
    """The peer's user id as the kernel recorded it: no name or group lookup."""
    return _credentials(connection)[1]


def _credentials(connection: socket.socket) -> tuple[int, int, int]:
    """pid, uid, gid (struct ucred)."""
    return _UCRED.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))


def _group_names(group_ids: list[int]) -> list[str]:
    names = []
    for group_id in group_ids:
        try:
            names.append(grp.getgrgid(group_id).gr_name)
        except KeyError:
            continue
    return names


@dataclass(frozen=True)
class Authority:
    operators: frozenset[str]
    operator_groups: frozenset[str]

    def allows(self, peer: Peer, command: str) -> bool:
        """Reading (`status`, `jobs`) is open to whoever can open the socket; a manual action
        needs an operator (root may always: it could replace the daemon anyway)."""
        if command not in AUDITED_COMMANDS or peer.uid == 0:
            return True
        return peer.user in self.operators or bool(peer.groups & self.operator_groups)

"""``Tx``: one transaction's reads and writes, made of one part per aggregate."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from watchstander.store.answers import AnswersTx
from watchstander.store.figures import FiguresTx
from watchstander.store.lease import LeaseTx
from watchstander.store.meanings import MeaningsTx
from watchstander.store.owed import OwedTx
from watchstander.store.paging import PagesTx
from watchstander.store.replicas import ReplicasTx
from watchstander.store.review import ReviewTx
from watchstander.store.rotation import RotationTx
from watchstander.store.served import ServedTx
from watchstander.store.threads import ThreadsTx


class Tx(
    ThreadsTx,
    PagesTx,
    ReviewTx,
    AnswersTx,
    FiguresTx,
    RotationTx,
    ServedTx,
    MeaningsTx,  # before LeaseTx, whose hold it takes
    LeaseTx,
    ReplicasTx,
    OwedTx,
):
    """One unit of work: typed reads and writes inside a single transaction."""

    def __init__(
        self,
        connection: Connection,
        sessions: sessionmaker[Session],
        *,
        lock_rows: bool,
        orphans: set[tuple[str, str]],
    ) -> None:
        self.connection = connection
        self._sessions = sessions
        self._lock_rows = lock_rows
        self._orphans = orphans

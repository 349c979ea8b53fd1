"""What provisioning did, row by row: the outcome of each HR record, and the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from smoothlms.core.errors import DomainError

CREATE, UPDATE, REHIRE, DISABLE, UNCHANGED, ERROR = "create", "update", "rehire", "disable", "unchanged", "error"
ACTIONS = (CREATE, UPDATE, REHIRE, DISABLE, UNCHANGED, ERROR)


@dataclass
class RowOutcome:
    row: int | None
    employee: str
    action: str
    email: str = ""  # the linked user's email, "" when the employee has no user
    code: str = ""
    message: str = ""
    error: DomainError | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "employee": self.employee,
            "action": self.action,
            "email": self.email,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class ProvisionReport:
    rows: list[RowOutcome]
    dry_run: bool = False
    onboarded: int = 0
    refused: DomainError | None = None  # a dry run that a real run would refuse as a whole (TooManyDisables)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ACTIONS}

    @property
    def failed(self) -> int:
        return self.count(ERROR)

    @property
    def changed(self) -> int:
        return sum(1 for row in self.rows if row.action not in (UNCHANGED, ERROR))

    def summary(self) -> str:
        counts = self.counts
        text = (
            f"created={counts[CREATE]} updated={counts[UPDATE]} rehired={counts[REHIRE]} "
            f"disabled={counts[DISABLE]} unchanged={counts[UNCHANGED]} failed={counts[ERROR]}"
        )
        return text + (" (dry run)" if self.dry_run else "")

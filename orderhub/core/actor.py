"""Who did something: a console user, an API key, a rule or a system job. Recorded on every change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # user | api_key | rule | system
    name: str
    id: int | None = None
    role: str | None = None

    @classmethod
    def system(cls, job: str) -> "Actor":
        return cls(kind="system", name=job)

    @classmethod
    def rule(cls, rule_id: int, name: str) -> "Actor":
        return cls(kind="rule", name=name, id=rule_id)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "id": self.id}


SYSTEM = Actor.system("system")

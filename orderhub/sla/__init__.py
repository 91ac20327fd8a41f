"""SLAs: stage deadlines of every open order, the people and teams responsible, and the timers
that announce warnings and breaches (see docs/sla.md)."""

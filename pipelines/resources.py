"""The settings as a Dagster resource: what the assets, the sensor and the schedules read.

The resource holds the settings as their `ORDERLENS_*` variables (so the Dagster UI shows what
a run used) and parses them with the same code as the environment. The SMTP password is not
among them: the resource names its variable (`dg.EnvVar`), so its value never reaches
Dagster's stored configuration, and the process that runs the assets reads it from its own
environment (secrets come from the environment only).
"""

from __future__ import annotations

import dagster as dg

from pipelines.settings import PREFIX, Settings, from_variables, variables

SMTP_PASSWORD = PREFIX + "SMTP_PASSWORD"


class SettingsResource(dg.ConfigurableResource):
    """The one settings object of a Definitions, handed to every asset that needs it."""

    variables: dict[str, str]
    smtp_password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SettingsResource:
        password = dg.EnvVar(SMTP_PASSWORD) if settings.smtp.password is not None else None
        return cls(variables=variables(settings, secrets=False), smtp_password=password)

    def get(self) -> Settings:
        given = dict(self.variables)
        if self.smtp_password is not None:
            given[SMTP_PASSWORD] = self.smtp_password
        return from_variables(given)

"""`smoothlms worker` refuses to run where no worker is needed (the contract's error line)."""

import pytest
from django.core.management import call_command


def test_worker_refuses_the_immediate_backend(capsys):
    with pytest.raises(SystemExit) as exited:
        call_command("worker", "--burst")
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        "error: no_worker: the ImmediateBackend runs tasks in the process that enqueues them; no worker is needed\n"
    )

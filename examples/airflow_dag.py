"""Example Airflow DAG: one task renders a whole batch with danvan (incremental, parallel).

Airflow maps at most 1,024 tasks per mapped operator by default and starts a fresh kernel per
PapermillOperator task, so a province-wide run is one BashOperator calling `danvan run`; danvan does
the fan-out (local warm workers, or a Dask cluster with --scheduler) and skips unchanged reports.
Exit code 1 (some wards failed) fails the task so Airflow's retries/alerts apply; `--retry-failed`
on retry re-renders only the failed wards.

The notebooks also run unchanged under PapermillOperator for a single ward, e.g.

    PapermillOperator(
        task_id="phuong_duc_2023",
        input_nb="/srv/danvan/notebooks/ward_report.ipynb",
        output_nb="/srv/danvan/outputs/2023/19780/report.ipynb",
        parameters={"unit_code": "19780", "year": 2023},   # unit_code stays a string
    )
"""

from __future__ import annotations

import pendulum
from airflow import DAG
from airflow.operators.bash import BashOperator

DANVAN = "/srv/danvan"  # a checkout with `make setup` done (the client: it has the store and outputs/)
SCHEDULER = "tcp://dask-scheduler.danvan.svc:8786"  # a Dask cluster whose workers have only danvan installed

with DAG(
    dag_id="danvan_hue_yearly",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    tags=["danvan"],
) as dag:
    render = BashOperator(
        task_id="render_hue",
        bash_command=(
            f"cd {DANVAN} && .venv/bin/danvan run params/hue-2023.yaml --no-progress "
            "{{ '--retry-failed' if ti.try_number > 1 else '' }}"
        ),
        retries=2,
    )

    # the whole country on a Dask cluster: still one task (the workers need no shared filesystem)
    render_country = BashOperator(
        task_id="render_country",
        bash_command=(
            f"cd {DANVAN} && .venv/bin/danvan run --year 2025 --units all --formats html,pdf "
            f"--scheduler {SCHEDULER} --no-progress "
            "{{ '--retry-failed' if ti.try_number > 1 else '' }}"
        ),
        retries=2,
    )

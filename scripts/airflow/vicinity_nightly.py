"""Nightly Vicinity run (Airflow 2.4+): the model over the inputs added under an s3a:// prefix since the last night
(images, or videos with the task "video").

Tasks:
  submit  -- scripts/submit.sh ... -- --mode incremental ...; fails (without retrying) on a bad night, exit 5
  summary -- reads OUTPUT/_vicinity_summary.json and pushes its counts to XCom (return_value)

What the Airflow worker needs:
  * the Vicinity checkout with the built job jar (README, "Running on a cluster") at the Airflow Variable
    `vicinity_home` (default /opt/vicinity), Java 17 and Spark 4.1 (SPARK_HOME or spark-submit on PATH);
  * in client mode (the default below) the Spark driver runs here: the model directory must exist at the
    same local path as on the executors, and S3 credentials come from the default provider chain;
  * boto3, for the summary task (the same credentials; AWS_ENDPOINT_URL for MinIO and other S3 stores).
Paths, master and Spark settings are DAG params: change the defaults below or override them per run
("Trigger DAG w/ config"). The job options checked by spark-job's SchedulingFilesTest are JOB_ARGS.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException
from airflow.hooks.subprocess import SubprocessHook
from airflow.operators.python import PythonOperator

log = logging.getLogger(__name__)

# The job's options (JobOptions; README "Running on a cluster"). incremental: only inputs whose path and
# modification time have no row yet, so each night processes what is new. --max-error-rate makes a night
# with more error rows than that fail with exit 5 (the output and summary are still written).
JOB_ARGS = [
    "--input", "{{ params.input }}",
    "--output", "{{ params.output }}",
    "--model", "{{ params.model }}",
    "--task", "{{ params.task }}",
    "--mode", "incremental",
    "--max-error-rate", "{{ params.max_error_rate }}",
]

# Options for spark-submit (before '--'). The later --name wins over submit.sh's, so the Spark UI and history
# server show which night ran; the Airflow run id rides along as a Spark setting, which the job copies into
# the summary's "spark" section: the summary task checks it to be sure it reads this run's summary.
RUN_ID_CONF = "spark.vicinity.airflow_run_id"
SPARK_ARGS = [
    "--master", "{{ params.master }}",
    "--deploy-mode", "client",
    "--name", "vicinity-nightly-{{ ds }}",
    "--conf", RUN_ID_CONF + "={{ run_id }}",
]

# README "Exit codes". Only 1 (the job failed: a lost executor, an S3 outage) can be cured by running again.
# A retry after 5 would even hide the bad night: error rows count as done, so the incremental rerun finds
# nothing to do, exits 0 and overwrites the summary with zero counts.
NO_RETRY = {2: "bad options or output exists", 3: "bad model directory", 4: "input not found",
            5: "more error rows than --max-error-rate allows"}


def submit(vicinity_home: str, spark_args: list[str], job_args: list[str], params: dict, **_) -> None:
    """Runs scripts/submit.sh: one way to submit the job, with its S3A packages, conf and log4j, which a
    SparkSubmitOperator would have to repeat. Not a BashOperator: that retries every non-zero exit, and a
    retried exit 5 passes (see NO_RETRY).
    """
    conf = [arg for key, value in params["spark_conf"].items() for arg in ("--conf", f"{key}={value}")]
    command = [f"{vicinity_home}/scripts/submit.sh", *spark_args, *conf, "--", *job_args]
    hook = SubprocessHook()  # logs the job's output (progress lines, the summary) line by line
    try:
        exit_code = hook.run_command(command, cwd=vicinity_home).exit_code
    finally:
        # A timeout or a "mark failed" raises in here: stop spark-submit too, so that no orphaned run
        # writes to the output beside the next attempt (concurrent incremental runs could duplicate rows).
        if hook.sub_process is not None and hook.sub_process.poll() is None:
            hook.send_sigterm()
    if exit_code in NO_RETRY:
        raise AirflowFailException(f"vicinity exited {exit_code}: {NO_RETRY[exit_code]}")
    if exit_code != 0:
        raise AirflowException(f"vicinity exited {exit_code}: job failed (retried while retries are left)")


COUNTS = ["files_seen", "inputs_processed", "images_processed", "errors", "skipped_non_images",
          "skipped_unchanged", "outcomes", "elapsed_seconds", "images_per_second", "run_id", "model_hash"]


def read_summary(output: str, airflow_run_id: str, **_) -> dict:
    """The counts of OUTPUT/_vicinity_summary.json (README "Run summary"); the return value goes to XCom."""
    path = output.rstrip("/") + "/_vicinity_summary.json"
    if path.startswith(("s3a://", "s3://")):
        import boto3  # imported here: the scheduler parses this file often and needs no AWS SDK

        bucket, key = path.split("://", 1)[1].split("/", 1)
        summary = json.load(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"])
    else:  # a local path, or a file system mounted on the worker
        with open(path[len("file://"):] if path.startswith("file://") else path) as f:
            summary = json.load(f)
    if summary["spark"].get(RUN_ID_CONF) != airflow_run_id:
        raise AirflowFailException(f"{path} was written by another run (run_id {summary['run_id']})")
    counts = {key: summary[key] for key in COUNTS}
    log.info("vicinity counts: %s", counts)
    return counts


with DAG(
    dag_id="vicinity_nightly",
    doc_md=__doc__,
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    # A night is "whatever is new under the prefix", not a data interval: no backfill of missed nights, and
    # never two runs at once (two incremental runs would both pick up the same new inputs).
    catchup=False,
    max_active_runs=1,
    params={
        "input": "s3a://images/incoming/",
        "output": "s3a://results/dinat-embeddings/",
        "model": "/opt/models/dinat-mini-in1k-224",
        # classify or segment (images, or frames sampled from videos), video (clip embeddings of a VideoMAE model)
        "task": "classify",
        "max_error_rate": 0.01,
        "master": "spark://spark-master:7077",
        # GPU layout (README "Configure"); everything else comes from conf/spark-defaults.conf.
        "spark_conf": {
            "spark.executor.resource.gpu.amount": "1",
            "spark.task.resource.gpu.amount": "0.25",
            "spark.executor.cores": "4",
        },
    },
    tags=["vicinity"],
) as dag:
    run_job = PythonOperator(
        task_id="submit",
        python_callable=submit,
        op_kwargs={
            "vicinity_home": "{{ var.value.get('vicinity_home', '/opt/vicinity') }}",
            "spark_args": SPARK_ARGS,
            "job_args": JOB_ARGS,
        },
        # Safe to retry: writes go through Spark's commit protocol (S3A magic committer), so a failed
        # attempt commits nothing and the incremental rerun neither loses nor duplicates rows.
        retries=2,
        retry_delay=timedelta(minutes=15),
        # A hung night must not block the next one (max_active_runs=1); the hook's SIGTERM ends the driver.
        execution_timeout=timedelta(hours=8),
    )

    summary = PythonOperator(
        task_id="summary",
        python_callable=read_summary,
        op_kwargs={"output": "{{ params.output }}", "airflow_run_id": "{{ run_id }}"},
        # Runs only after a good night; on exit 5 the submit log holds the job's summary and the file is
        # still written.
        retries=2,
        retry_delay=timedelta(minutes=2),
    )

    run_job >> summary

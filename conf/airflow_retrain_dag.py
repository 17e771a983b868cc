"""Nightly SyncBN-Spark retrain as an Airflow DAG (Airflow 2.x, apache-airflow-providers-apache-spark).

Copy into the DAGs folder and set the paths below. The retrain runs with spark-submit in client
deploy mode (the default), so the driver is spark-submit's own JVM and its exit code is the task's:
  0 promoted, 3 CURRENT kept, 2 bad input, 1 failure (e.g. another retrain of the model still runs).
SparkSubmitOperator fails a task on any non-zero code, so the DAG passes --kept-exit 0: a kept
candidate or an already-trained snapshot is a successful run (decision.json in the registry says
which). Bad input and failures still fail the task; retrying is safe (locks, skip, crash recovery).
The job file must be readable on the Airflow worker; the registry should be a shared file system
URI (hdfs://, s3a://) when the worker is not the only machine that reads the models.
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SYNCBN_HOME = "/opt/syncbn-spark"
JOB_JAR = f"{SYNCBN_HOME}/target/syncbn-spark-0.1.0-SNAPSHOT-job.jar"  # mvn -DskipTests package
JOB_FILE = f"{SYNCBN_HOME}/jobs/retrain-nightly.conf"
WORKERS = 2  # = train.workers of the job: every barrier stage needs this many task slots at once

with DAG(
    dag_id="syncbn_retrain_nightly",
    schedule="30 2 * * *",
    start_date=datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,  # the model lock refuses overlaps anyway; this keeps Airflow from queuing them
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15)},
    tags=["syncbn", "retrain"],
) as dag:
    SparkSubmitOperator(
        task_id="retrain",
        conn_id="spark_default",  # the cluster's master URL
        application=JOB_JAR,
        java_class="org.syncbn.cli.Main",
        # {{ ds }}: the logical date picks the dated snapshot (retrain.snapshotPattern = "{yyyy-MM-dd}"),
        # so a backfill or a retry trains the same night's data
        application_args=["retrain", JOB_FILE, "--date", "{{ ds }}", "--kept-exit", "0",
                          "--set", "retrain.registry=hdfs:///models/registry"],
        properties_file=f"{SYNCBN_HOME}/conf/spark-defaults.conf",  # Java 17 flags for driver and executors
        executor_cores=1,
        conf={
            "spark.cores.max": str(WORKERS),
            "spark.executorEnv.OMP_NUM_THREADS": "1",
        },
        execution_timeout=timedelta(hours=6),
    )

#!/bin/sh
# First boot of every host: its name, and Java for Spark.
hostnamectl set-hostname ${host}
echo "role=${role}" > /etc/meshform-role
apt-get update -q && apt-get install -y -q openjdk-17-jre-headless python3-venv

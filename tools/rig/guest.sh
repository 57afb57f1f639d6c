#!/bin/bash
# Runs inside the rig's guest (as root, in the host's root over 9p): start udevd with the
# project's udev rule, then the job's command. Its status goes to $JOB/status.
JOB="$1"
# The guest runs chrooted into the host's root: without this, udevadm ignores control requests
# ("Running in chroot, ignoring request") and a changed rule applies only by udevd's own timer.
export SYSTEMD_IGNORE_CHROOT=1
cut -d' ' -f1 /proc/uptime >"$JOB/boot_s"
mkdir -p /run/udev/rules.d
cp "$JOB/60-printstation.rules" /run/udev/rules.d/
/lib/systemd/systemd-udevd --daemon
export PYTHONDONTWRITEBYTECODE=1 RIG_GUEST=1
bash "$JOB/command.sh" </dev/null
echo $? >"$JOB/status"
udevadm control --exit 2>/dev/null

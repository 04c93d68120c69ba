#!/bin/bash
# testbed on a Slurm cluster: one shard of an experiment per array task, then
# one merge job (docs/scale-out.md). Submit from a directory on a file system
# every node shares:
#
#   jobid=$(sbatch --parsable --array=1-4 examples/slurm-shards.sh)
#   sbatch --dependency=afterany:$jobid examples/slurm-shards.sh merge
#
# The array's size is N and task K runs shard K/N; give --array=1-N (1-based:
# shards are numbered from 1). testbed needs root on the nodes (namespaces,
# veth, qdiscs): the script uses sudo -n unless it runs as root.
#SBATCH --job-name=testbed-shards
#SBATCH --cpus-per-task=2
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

TESTBED=${TESTBED:-$PWD/testbed}
EXPERIMENT=${EXPERIMENT:-experiments/bbr_vs_cubic_loss_sweep.conf}
RESULTS=${RESULTS:-$PWD/results}
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
mkdir -p "$RESULTS"

if [ "${1:-}" = merge ]; then
	"$TESTBED" merge "$RESULTS"/shard-* --out "$RESULTS/merged"
	exit
fi

: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}"
if [ "${SLURM_ARRAY_TASK_MIN:-1}" -ne 1 ]; then
	echo "slurm-shards.sh: give --array=1-N (shards are numbered from 1)" >&2
	exit 2
fi
K=$SLURM_ARRAY_TASK_ID
N=$SLURM_ARRAY_TASK_COUNT
$SUDO "$TESTBED" run "$EXPERIMENT" --shard "$K/$N" --out "$RESULTS/shard-$K"

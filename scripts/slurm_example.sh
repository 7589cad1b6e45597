#!/usr/bin/env bash
# slurm_example.sh — an example sbatch script: data-parallel crossover on
# several nodes, one scripts/launch.sh per node started by srun, which starts
# one worker per GPU. Copy it and adjust the #SBATCH lines to your cluster.
# Cost: whatever the command costs; the launcher itself is free.
# Example: sbatch --nodes 2 scripts/slurm_example.sh configs/my_run.yaml
#          sbatch --nodes 2 scripts/slurm_example.sh configs/my_run.yaml --set train.lr=3e-4
#          CMD=dist-check sbatch --nodes 2 scripts/slurm_example.sh   # check the setup first
#
#SBATCH --job-name=crossover
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1          # one launcher per node; it starts the workers
#SBATCH --gpus-per-node=8
#SBATCH --cpus-per-task=64
#SBATCH --time=24:00:00
#SBATCH --output=%x-%j.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"

CMD=${CMD:-train}
GPUS_PER_NODE=${GPUS_PER_NODE:-${SLURM_GPUS_ON_NODE:-8}}
# Node 0 hosts the rendezvous store; every node must agree on address and port.
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
MASTER_PORT=${MASTER_PORT:-$((20000 + SLURM_JOB_ID % 40000))}
export MASTER_ADDR MASTER_PORT
# Gloo (CPU) and NCCL pick the interface by hostname; name it if that is wrong:
# export GLOO_SOCKET_IFNAME=ib0 NCCL_SOCKET_IFNAME=ib0

# SLURM_NODEID is per task, so it is read inside srun's shell, not here.
srun --kill-on-bad-exit=1 bash -c '
  exec scripts/launch.sh --nproc_per_node "'"$GPUS_PER_NODE"'" \
    --nnodes "$SLURM_NNODES" --node_rank "$SLURM_NODEID" \
    --master_addr "$MASTER_ADDR" --master_port "$MASTER_PORT" \
    -- build/crossover "$@"' _ "$CMD" "$@"

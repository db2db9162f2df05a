#!/usr/bin/env bash
# One line for the report.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
echo "$("$here/../tessera-contender/describe.sh") + near cache on (CLIENT TRACKING BCAST, a PING shared by the reads waiting together)"

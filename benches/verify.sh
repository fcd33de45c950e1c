#!/usr/bin/env bash
# `blobsel verify` against `md5sum`, and a 1M-blob manifest read and
# reconciled (issue 14's speed targets).
#
#   bash benches/verify.sh                      # all three
#   ROUNDS=3 SIZE_MB=512 bash benches/verify.sh
#   BLOBSEL=/path/to/blobsel bash benches/verify.sh   # a prebuilt binary
#   KEEP=/tmp/verify-bench bash benches/verify.sh     # keep/reuse the files
#
# What it does:
#  1. installs hyperfine if missing (apt-get); builds `blobsel` (release);
#  2. writes, with python3 (hashlib for the MD5s):
#     - large/: one file of SIZE_MB MiB (default 1024) in 4 MiB blocks;
#     - many/: FILES files (default 4096) of SIZE_MB/FILES MiB each, one
#       block each;
#     - manifest/: a manifest of BLOBS blobs (default 1,000,000; one block
#       and a properties file each, as the service writes them), a lines
#       listing of them and a selection of them all (no files);
#     each with its selection, listing and manifest;
#  3. warms the page cache (one untimed run), then runs hyperfine, ROUNDS
#     runs a command (default 5), md5sum and blobsel side by side, and
#     prints the medians and the ratios.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-5}"
SIZE_MB="${SIZE_MB:-1024}"
FILES="${FILES:-4096}"
BLOBS="${BLOBS:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine; then
  echo "installing hyperfine (apt-get)" >&2
  apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null
fi
cd "$ROOT"
if [ -z "${BLOBSEL:-}" ]; then
  cargo build --release --bin blobsel -q
  BLOBSEL="$CARGO_TARGET_DIR/release/blobsel"
fi
if [ -n "${KEEP:-}" ]; then
  DIR="$KEEP"
  mkdir -p "$DIR"
else
  DIR="$(mktemp -d)"
  trap 'rm -rf "$DIR"' EXIT
fi

python3 - "$DIR" "$SIZE_MB" "$FILES" "$BLOBS" <<'PY'
import hashlib, os, sys
root, size_mb, files, blobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
MIB = 1 << 20

def head(drive):
    return ('<?xml version="1.0" encoding="utf-8"?>\n<DriveManifest Version="2014-11-01">\n'
            f'  <Drive>\n    <DriveId>{drive}</DriveId>\n    <BlobList>\n')

TAIL = '    </BlobList>\n  </Drive>\n</DriveManifest>\n'
PROPS = b'<?xml version="1.0" encoding="utf-8"?>\n<Properties><Content-Length>1000</Content-Length></Properties>\n'
PROPS_MD5 = hashlib.md5(PROPS).hexdigest().upper()

def blob_xml(name, length, blocks, props=False):
    x = [f'      <Blob>\n        <BlobPath>bench/{name}</BlobPath>\n',
         f'        <FilePath>\\bench\\{name.replace("/", chr(92))}</FilePath>\n',
         f'        <Length>{length}</Length>\n        <BlockList>\n']
    for off, ln, h in blocks:
        x.append(f'          <Block Offset="{off}" Length="{ln}" Hash="{h}" />\n')
    x.append('        </BlockList>\n')
    if props:
        x.append(f'        <PropertiesPath Hash="{PROPS_MD5}">\\bench\\{name.replace("/", chr(92))}.properties</PropertiesPath>\n')
    x.append('      </Blob>\n')
    return ''.join(x)

def common(d, names):
    with open(os.path.join(d, 'selection.xml'), 'w') as f:
        f.write('<BlobList><BlobPathPrefix>/bench/</BlobPathPrefix></BlobList>\n')
    with open(os.path.join(d, 'listing.txt'), 'w') as f:
        f.writelines(f'/bench/{n}\n' for n in names)

def data_set(kind, count, each):
    d = os.path.join(root, kind)
    if os.path.exists(os.path.join(d, 'done')):
        return
    os.makedirs(os.path.join(d, 'drive', 'bench'), exist_ok=True)
    names, out = [], [head('BENCH')]
    chunk = os.urandom(4 * MIB)
    for i in range(count):
        name = f'f{i:06}.bin'
        names.append(name)
        blocks, off = [], 0
        with open(os.path.join(d, 'drive', 'bench', name), 'wb') as f:
            while off < each:
                ln = min(4 * MIB, each - off)
                piece = bytes([i & 0xFF]) + chunk[1:ln] if ln == 4 * MIB else chunk[:ln]
                f.write(piece)
                blocks.append((off, ln, hashlib.md5(piece).hexdigest().upper()))
                off += ln
        out.append(blob_xml(name, each, blocks))
    out.append(TAIL)
    with open(os.path.join(d, 'm.manifest'), 'w') as f:
        f.write(''.join(out))
    common(d, names)
    open(os.path.join(d, 'done'), 'w').close()

data_set('large', 1, size_mb * MIB)
data_set('many', files, size_mb * MIB // files)

d = os.path.join(root, 'manifest')
if not os.path.exists(os.path.join(d, 'done')):
    os.makedirs(d, exist_ok=True)
    names = [f'dir{i % 1000:03}/file{i:07}.bin' for i in range(blobs)]
    h = hashlib.md5(b'x' * 1000).hexdigest().upper()
    with open(os.path.join(d, 'm.manifest'), 'w') as f:
        f.write(head('BIG'))
        for n in names:
            f.write(blob_xml(n, 1000, [(0, 1000, h)], props=True))
        f.write(TAIL)
    common(d, names)
    open(os.path.join(d, 'done'), 'w').close()
PY

echo "blobsel: $BLOBSEL ($("$BLOBSEL" --version)); $(nproc) cores; files in $DIR"
du -sh "$DIR"/large/drive "$DIR"/many/drive "$DIR"/manifest/m.manifest

verify() { # DIR [--drive]
  echo "$BLOBSEL verify $1/selection.xml $1/listing.txt --manifest $1/m.manifest ${2:+--drive $1/drive} --no-progress"
}
bench() { # NAME CMD...
  local name=$1
  shift
  hyperfine --style basic --warmup 1 --runs "$ROUNDS" --export-json "$DIR/$name.json" "$@" >&2
  python3 - "$DIR/$name.json" "$name" <<'PY'
import json, statistics, sys
res = json.load(open(sys.argv[1]))['results']
med = [statistics.median(r['times']) for r in res]
print(f"{sys.argv[2]}:")
for r, m in zip(res, med):
    print(f"  {m:8.3f} s  {r['command']}")
if len(med) == 2:
    print(f"  md5sum / blobsel = {med[0] / med[1]:.2f}")
PY
}

echo
bench large "md5sum $DIR/large/drive/bench/f000000.bin" "$(verify "$DIR/large" drive)"
bench many "md5sum $DIR/many/drive/bench/*" "$(verify "$DIR/many" drive)"
bench manifest "$(verify "$DIR/manifest")"
/usr/bin/time -f "peak RSS of the 1M-blob verify: %M KiB" $(verify "$DIR/manifest") || true

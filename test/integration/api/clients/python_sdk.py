"""Debian's python3-docker (docker-py 5) against Slipway's Engine API, unmodified.

Run with DOCKER_HOST pointing at `slipway system service`; prints one JSON line per check,
exits non-zero at the first failure. Covers the SDK's programmatic paths: attach streams, exec
(demuxed, with stdin over the raw socket), archive get/put, build from a tar, events.
"""
import io
import json
import sys
import tarfile
import time

import docker

client = docker.from_env(version="auto", timeout=120)
api = client.api
results = []


def check(name, ok, detail=""):
    results.append({"check": name, "ok": bool(ok), "detail": detail})
    print(json.dumps(results[-1]), flush=True)
    if not ok:
        sys.exit(1)


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


check("ping", api.ping() is True)
check("version", client.version()["ApiVersion"] == "1.41", client.version()["ApiVersion"])

since = int(time.time()) - 1

# run (attached through the SDK's own attach + wait)
out = client.containers.run("busybox", ["sh", "-c", "echo sdk-out; echo sdk-err >&2"], remove=True, stdout=True, stderr=True)
check("run output", out == b"sdk-out\nsdk-err\n" or out == b"sdk-err\nsdk-out\n", repr(out))

# attach stream on a container started after attaching
c = client.containers.create("busybox", ["sh", "-c", "for i in 1 2 3; do echo line$i; done"])
stream = c.attach(stdout=True, stderr=True, stream=True, logs=False)
c.start()
got = b"".join(stream)
check("attach stream", got == b"line1\nline2\nline3\n", repr(got))
check("wait", c.wait()["StatusCode"] == 0)
c.remove()

# exec: exit code and demuxed output; then stdin over the raw socket
c = client.containers.run("busybox", ["sleep", "60"], detach=True)
code, (o, e) = c.exec_run(["sh", "-c", "echo eo; echo ee >&2; exit 3"], demux=True)
check("exec demux", code == 3 and o == b"eo\n" and e == b"ee\n", repr((code, o, e)))
ex = api.exec_create(c.id, ["sh", "-c", "read x; echo got-$x"], stdin=True)
sock = api.exec_start(ex["Id"], socket=True)
raw = sock._sock
raw.sendall(b"typed\n")
raw.shutdown(1)  # SHUT_WR: stdin EOF
data = b""
while True:
    chunk = raw.recv(4096)
    if not chunk:
        break
    data += chunk
frames = []
while len(data) >= 8:
    size = int.from_bytes(data[4:8], "big")
    frames.append((data[0], data[8 : 8 + size]))
    data = data[8 + size :]
check("exec stdin over the socket", b"".join(f[1] for f in frames if f[0] == 1) == b"got-typed\n", repr(frames))
check("exec inspect", api.exec_inspect(ex["Id"])["ExitCode"] == 0)

# archive put and get
ok = c.put_archive("/tmp", tar_of({"put-by-sdk.txt": b"hello archive\n"}))
check("put_archive", ok is True)
code, out = c.exec_run(["cat", "/tmp/put-by-sdk.txt"])
check("put file is there", out == b"hello archive\n", repr(out))
bits, stat = c.get_archive("/tmp/put-by-sdk.txt")
t = tarfile.open(fileobj=io.BytesIO(b"".join(bits)))
check("get_archive", t.extractfile("put-by-sdk.txt").read() == b"hello archive\n" and stat["name"] == "put-by-sdk.txt", repr(stat))
c.remove(force=True)

# build from a tar context (custom_context), streamed JSON decoded by the SDK
ctx = tar_of({"Dockerfile": b"FROM busybox\nCOPY msg /msg\nCMD cat /msg\n", "msg": b"built by the sdk\n"})
image, logs = client.images.build(fileobj=ctx, custom_context=True, tag="sdk-built:1", rm=True)
check("build", "sdk-built:1" in image.tags, repr(image.tags))
check("build logs", any("Successfully built" in l.get("stream", "") for l in logs))
check("run built", client.containers.run("sdk-built:1", remove=True) == b"built by the sdk\n")

# events: a window that has the containers made above
until = int(time.time()) + 1
evs = list(api.events(since=since, until=until, decode=True, filters={"type": "container"}))
actions = {e["Action"] for e in evs}
check("events", {"create", "start", "die", "destroy"} <= actions, sorted(actions))

print(json.dumps({"done": True, "checks": len(results)}))

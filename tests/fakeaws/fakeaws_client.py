"""Control-API client for a running fakeaws server (in-process or started elsewhere, e.g. by
Node or a shell script). Goes through HTTP on purpose so every language sees the same API."""
import json
import urllib.request

# No proxies: the fake is on loopback, and an HTTP(S)_PROXY in the environment must not reroute it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Client:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

    def _call(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with _OPENER.open(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def calls(self, service=None, action=None):
        """Recorded requests, oldest first, optionally filtered."""
        return [c for c in self._call("GET", "/_fake/calls")
                if (service is None or c["service"] == service) and (action is None or c["action"] == action)]

    def counts(self):
        return self._call("GET", "/_fake/counts")

    def configure(self, **services):
        """configure(sts={"error_code": "Throttling", "fail_times": 2}); a None value clears."""
        return self._call("POST", "/_fake/config", services)

    def config(self):
        return self._call("GET", "/_fake/config")

    def reset(self):
        """Back to the startup state: no calls, serials from 1, no injected behaviour."""
        return self._call("POST", "/_fake/reset", {})

    def env(self, ecs=False, ecs_token="fakeaws-container-token"):
        """Standard env vars that point the AWS SDKs at this server. The container variables are
        opt-in because they take precedence over IMDS in every SDK's default chain."""
        env = {"AWS_EC2_METADATA_SERVICE_ENDPOINT": self.url, "AWS_ENDPOINT_URL_STS": self.url,
               "AWS_ENDPOINT_URL_SSO": self.url}
        if ecs:
            env.update({"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url + "/ecs/creds",
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN": ecs_token})
        return env

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):  # a plain client owns no server
        pass

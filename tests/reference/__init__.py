"""Tests of the embedded reference server (conformance/reference): routes, behaviour, errors,
authentication, storage, PowerPath with the tool doubles, fault switches and the serve command."""

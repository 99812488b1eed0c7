"""The gRPC server: servicers, the typed application context, settings composition, the
status map and authentication. With ``kyso.cli`` the only place that imports ``grpc`` and the
``kyso.v1`` stubs; the work is done by ``signer``, ``verifier`` and ``trust_store``.

Public modules, imported by name (nothing is imported here: the domain packages must be able to
import their settings without pulling in the server):

* :mod:`kyso.server.app` -- ``build_server``, ``serve``, ``running_server``;
* :mod:`kyso.server.settings` -- the server's settings, composed of the packages' own;
* :mod:`kyso.server.clients` -- the ``[[clients]]`` tables (identities, roles, keys);
* :mod:`kyso.server.context` -- the application context shared by the servicers;
* :mod:`kyso.server.auth` -- caller identities and the guard in front of every RPC;
* :mod:`kyso.server.policy` -- roles and the access policy of every method (one table);
* :mod:`kyso.server.tokens` -- bearer token files and the local CLI's credential;
* :mod:`kyso.server.identity` -- the verified client certificate's subject and SANs (mTLS),
  and how configured subjects and SANs are compared;
* :mod:`kyso.server.tls` -- TLS server credentials, reloaded when their files change;
* :mod:`kyso.server.status` -- kyso errors to gRPC status codes and error details.

The servicers (``signer_servicer``, ``verifier_servicer``, ``trust_servicer``) and
``report_proto`` are wired by :mod:`kyso.server.app` and are not used directly;
``settings_doc`` writes docs/configuration.md from the settings models.
"""

__all__ = [
    "app",
    "auth",
    "clients",
    "context",
    "identity",
    "policy",
    "settings",
    "status",
    "tls",
    "tokens",
]

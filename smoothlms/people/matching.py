"""Email addresses as keys for matching one person's records (HR export, Employee, User).

Stored addresses are only NFKC-normalised, trimmed and lower-cased (people.models.normalize_email): that is the
login, and it is never rewritten. To decide whether two addresses reach the same mailbox, roster
reconciliation compares *match keys*, which also fold the spellings a mail system treats as one:
- surrounding spaces and case;
- a `+tag` in the local part (`asha+lms@corp.com` is `asha@corp.com`);
- dots in Gmail local parts, and googlemail.com as gmail.com;
- the domains that settings.EMAIL_ALIAS_DOMAINS groups together (`corp.com=corp.co.uk`), each
  group mapped to one canonical domain (the first in alphabetical order, so the key is stable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings

from smoothlms.people.models import normalize_email

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def alias_domain_map(groups: Iterable[Iterable[str]] | None = None) -> dict[str, str]:
    """{domain: canonical domain} for every domain of every alias group (settings by default)."""
    if groups is None:
        groups = getattr(settings, "EMAIL_ALIAS_DOMAINS", None) or []
    mapping: dict[str, str] = {}
    for group in groups:
        domains = sorted({domain.strip().lower() for domain in group if domain and domain.strip()})
        if len(domains) < 2:
            continue
        for domain in domains:
            mapping[domain] = domains[0]
    return mapping


def _key(email: str, domains: dict[str, str]) -> str:
    return _fold(normalize_email(email), domains)


def _fold(address: str, domains: dict[str, str]) -> str:
    """The match key of an address already normalised (normalize_email)."""
    domain = address[address.rfind("@") + 1 :]
    if "+" not in address and domain not in domains and domain not in GMAIL_DOMAINS:
        return address  # nothing to fold: the common case, answered at once
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return address  # not an address: compared as written (trimmed, lower-cased)
    if "+" in local:
        local = local.split("+", 1)[0] or local  # "+tag" goes; a local part that *is* "+x" stays as it is
    domain = domains.get(domain, domain)
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def email_matcher(groups: Iterable[Iterable[str]] | None = None, *, normalized: bool = False) -> Callable[[str], str]:
    """A function email -> match key, with the alias groups read once (for loops over many rows).
    `normalized=True`: every address given is already normalize_email's spelling (a stored address,
    or one normalised on reading), and is not normalised again."""
    domains = alias_domain_map(groups)
    if normalized:
        return partial(_fold, domains=domains)  # called per row of large exports: no frame of its own
    return partial(_key, domains=domains)


def email_keys_matcher(groups: Iterable[Iterable[str]] | None = None) -> Callable[[Iterable[str]], list[str]]:
    """`email_matcher(normalized=True)` for many addresses at once: a function giving the match keys
    of normalised addresses, in their order (the loops of reconciliation, over whole rosters)."""
    return partial(_fold_all, domains=alias_domain_map(groups))


def _fold_all(addresses: Iterable[str], domains: dict[str, str]) -> list[str]:
    """_fold of each address: the common case, nothing to fold (as _fold tells it), answered inline."""
    special = GMAIL_DOMAINS | domains.keys()
    return [a if "+" not in a and a[a.rfind("@") + 1 :] not in special else _fold(a, domains) for a in addresses]


def domains_folding_to(key_domains: Iterable[str], groups: Iterable[Iterable[str]] | None = None) -> set[str]:
    """Every domain whose addresses have match keys in `key_domains` (the domains of match keys):
    each itself, the domains of its alias group, googlemail.com for gmail.com. A search for the users
    of some keys need only look at addresses in these domains."""
    domains = alias_domain_map(groups)
    wanted = set(key_domains)
    candidates = wanted | set(domains) | GMAIL_DOMAINS
    return {domain for domain in candidates if _fold(f"x@{domain}", domains).rpartition("@")[2] in wanted}


def match_key(email: str, *, groups: Iterable[Iterable[str]] | None = None) -> str:
    """The match key of one address: `" Asha.Rao+LMS@GoogleMail.com "` -> `"asharao@gmail.com"`."""
    return _key(email, alias_domain_map(groups))


def same_person_email(first: str, second: str, *, groups: Iterable[Iterable[str]] | None = None) -> bool:
    """Whether two addresses reach the same mailbox under the rules above (blank never matches)."""
    domains = alias_domain_map(groups)
    a, b = _key(first, domains), _key(second, domains)
    return bool(a) and a == b

"""An XMILE file's simulation specs in the form PySD's translator reads.

XMILE 1.0 (section 4.1.1) gives ``start``, ``stop`` and ``dt`` of
``<sim_specs>``; writers put them as child elements (``<start>0</start>``)
and some as attributes of ``<sim_specs>`` (``<sim_specs start="0" stop="10"
dt="0.25">``). PySD's translator reads only the child elements. ``dt`` may be
given as its reciprocal (``<dt reciprocal="true">4</dt>`` is a step of 1/4),
which the translator handles itself. Stella writes the interval at which
results are saved as the vendor attribute ``isee:save_interval`` of
``<sim_specs>``: that is Vensim's SAVEPER, which the translator leaves at dt.

:func:`normalise_sim_specs` turns attribute specs into child elements (a
child element wins over an attribute) and returns the save interval.

Examples
--------
>>> text = (b'<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">'
...         b'<sim_specs start="1" stop="5" dt="0.5"/></xmile>')
>>> data, save = normalise_sim_specs(text)
>>> b"<start>1</start>" in data and b"<stop>5</stop>" in data, save
(True, None)
"""

from __future__ import annotations

import re

__all__ = ["normalise_sim_specs"]

_SPECS = ("start", "stop", "dt")
#: The start tag of <sim_specs> (any namespace prefix), its attributes, and whether it closes
_TAG = re.compile(rb"<((?:[\w.-]+:)?sim_specs)\b([^>]*?)(/?)>")
_ATTR = re.compile(rb"""([\w.:-]+)\s*=\s*("[^"]*"|'[^']*')""")


def normalise_sim_specs(data: bytes) -> tuple[bytes, float | None]:
    """``data`` with ``start``/``stop``/``dt`` of ``<sim_specs>`` as child elements,
    and the save interval (``isee:save_interval``, None if absent).

    ``data`` is a UTF-8 XMILE document already screened by
    :func:`gysim.io.safe_xml.screen_xml`. Only the start tag of the first
    ``<sim_specs>`` is read and the child elements are inserted after it, as
    text: the rest of the document is left as it is (files with an undeclared
    ``isee:`` prefix, which PySD's parser accepts, stay readable). A file
    without ``<sim_specs>``, or whose specs are already child elements, comes
    back unchanged.

    Examples
    --------
    >>> text = (b'<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" '
    ...         b'xmlns:isee="http://iseesystems.com/XMILE"><sim_specs isee:save_interval="2">'
    ...         b'<start>0</start><stop>10</stop><dt>1</dt></sim_specs></xmile>')
    >>> data, save = normalise_sim_specs(text)
    >>> data == text, save
    (True, 2.0)
    """
    tag = _TAG.search(data)
    if tag is None:
        return data, None
    attrs = {k.decode().lower(): v[1:-1].decode().strip() for k, v in _ATTR.findall(tag.group(2))}
    raw = attrs.get("isee:save_interval", "")
    save = float(raw) if raw else None
    name, closed = tag.group(1), bool(tag.group(3))
    body_end = tag.end() if closed else data.find(b"</" + name, tag.end())
    body = b"" if closed else data[tag.end():body_end]
    prefix = name[:-len(b"sim_specs")]
    added = b"".join(
        b"<%s%s>%s</%s%s>" % (prefix, key.encode(), attrs[key].encode(), prefix, key.encode())
        for key in _SPECS
        if attrs.get(key) and not re.search(rb"<(?:[\w.-]+:)?%s\b" % key.encode(), body))
    if not added:
        return data, save
    if closed:
        opened = data[tag.start():tag.end() - 2].rstrip() + b">"
        return data[:tag.start()] + opened + added + b"</" + name + b">" + data[tag.end():], save
    return data[:tag.end()] + added + data[tag.end():], save

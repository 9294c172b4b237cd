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

from xml.dom import minidom

__all__ = ["normalise_sim_specs"]

ISEE = "http://iseesystems.com/XMILE"
_SPECS = ("start", "stop", "dt")


def _children(node, tag: str) -> list:
    return [c for c in node.childNodes if c.nodeType == c.ELEMENT_NODE and c.localName == tag]


def normalise_sim_specs(data: bytes) -> tuple[bytes, float | None]:
    """``data`` with ``start``/``stop``/``dt`` of ``<sim_specs>`` as child elements,
    and the save interval (``isee:save_interval``, None if absent).

    ``data`` is a UTF-8 XMILE document already screened by
    :func:`gysim.io.safe_xml.screen_xml` (no document type, no entities). A
    file without ``<sim_specs>``, or whose specs are already child elements,
    comes back unchanged.

    Examples
    --------
    >>> text = (b'<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0" '
    ...         b'xmlns:isee="http://iseesystems.com/XMILE"><sim_specs isee:save_interval="2">'
    ...         b'<start>0</start><stop>10</stop><dt>1</dt></sim_specs></xmile>')
    >>> data, save = normalise_sim_specs(text)
    >>> data == text, save
    (True, 2.0)
    """
    doc = minidom.parseString(data)
    specs = _children(doc.documentElement, "sim_specs")
    if not specs:
        return data, None
    node = specs[0]
    save = None
    raw = node.getAttributeNS(ISEE, "save_interval") or node.getAttribute("isee:save_interval")
    if raw.strip():
        save = float(raw)
    changed = False
    ns = doc.documentElement.namespaceURI
    for tag in _SPECS:
        if _children(node, tag) or not node.getAttribute(tag).strip():
            continue
        child = doc.createElementNS(ns, tag) if ns else doc.createElement(tag)
        child.appendChild(doc.createTextNode(node.getAttribute(tag).strip()))
        node.appendChild(child)
        node.removeAttribute(tag)
        changed = True
    if not changed:
        return data, save
    return doc.toxml(encoding="utf-8"), save

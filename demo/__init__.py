"""The demo shop: a synthetic online shop in the project's input contract (demo/shop.py).

A tool beside the package, not part of it: `customer_segmentation` never imports it. The
`customer-segmentation demo` and `demo-data` commands load it from the project directory, the
tests import it (pytest puts the project root on the path), and so does
`python -m demo.shop --output DIR --customers N` run from the project root.
"""

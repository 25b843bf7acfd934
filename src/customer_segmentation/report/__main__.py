"""python -m customer_segmentation.report: the `customer-segmentation report` command."""

from customer_segmentation.report.command import main

raise SystemExit(main())

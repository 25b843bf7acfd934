-- The segments partition the customers: their shares add up to 1.
select sum(share_of_customers) as total_share
from {{ ref('segment_summary') }}
having abs(sum(share_of_customers) - 1) > 0.000001

-- The session funnel: sessions that reached each step.
select
    count(*) filter (where product_views > 0) as viewed_a_product,
    count(*) filter (where has_cart) as added_to_cart,
    count(*) filter (where has_checkout) as started_checkout,
    count(*) filter (where has_order) as placed_an_order
from analytics.analytics_sessions

with

sessions as (

    select * from {{ ref('int_session_events') }}

),

final as (

    select
        session_id,
        customer_id,
        channel,
        device,
        session_started_at,
        cast(session_started_at as date) as session_date,
        last_event_at,
        cast(product_views as bigint) as product_views,
        cast(cart_adds as bigint) as cart_adds,
        cast(checkouts_started as bigint) as checkouts_started,
        cast(orders_created as bigint) as orders_created,
        has_cart,
        has_checkout,
        has_order
    from sessions

)

select * from final

with

orders as (

    select * from {{ ref('int_order_lifecycle') }}

),

final as (

    select
        order_id,
        customer_id,
        session_id,
        channel,
        device,
        order_created_at,
        paid_at,
        fulfilled_at,
        cancelled_at,
        order_status,
        payment_method,
        cancel_reason,
        carrier,
        currency,
        item_count,
        subtotal,
        tax,
        shipping,
        total_amount,
        is_revenue,
        net_revenue
    from orders

)

select * from final

/*
    RFM (recency, frequency, monetary) scoring of every customer with at least one
    revenue order (paid and not cancelled).

    Recency is measured to the latest order date in the data, not to today, so the
    scores are the same whenever the model runs. Each score is a quintile (ntile(5))
    where 5 is best: most recent, most revenue orders, most revenue. Ties are broken
    by the other measures and then customer_id, so the scores are reproducible on
    any warehouse.

    favourite_category is the category the customer spent most on in revenue orders
    (ties: more units, then the category name).
*/

with

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

order_items as (

    select * from {{ ref('fct_order_items') }}

),

favourite_categories as (

    select
        customer_id,
        category as favourite_category
    from order_items
    where is_revenue
    group by customer_id, category
    qualify row_number() over (
        partition by customer_id
        order by sum(line_amount) desc, sum(quantity) desc, category
    ) = 1

),

as_of as (

    select max(cast(order_created_at as date)) as as_of_date
    from orders

),

revenue_customers as (

    select
        customer_id,
        max(order_created_at) as last_revenue_order_at,
        count(*) as frequency,
        sum(total_amount) as monetary
    from orders
    where is_revenue
    group by customer_id

),

measured as (

    select
        revenue_customers.customer_id,
        revenue_customers.last_revenue_order_at,
        {{ dbt.datediff('cast(revenue_customers.last_revenue_order_at as date)', 'as_of.as_of_date', 'day') }}
            as recency_days,
        revenue_customers.frequency,
        cast(revenue_customers.monetary as decimal(12, 2)) as monetary
    from revenue_customers
    cross join as_of

),

scored as (

    select
        customer_id,
        last_revenue_order_at,
        recency_days,
        frequency,
        monetary,
        ntile(5) over (
            order by last_revenue_order_at, frequency, monetary, customer_id
        ) as r_score,
        ntile(5) over (
            order by frequency, monetary, last_revenue_order_at, customer_id
        ) as f_score,
        ntile(5) over (
            order by monetary, frequency, last_revenue_order_at, customer_id
        ) as m_score
    from measured

),

segmented as (

    select
        *,
        cast(r_score as varchar) || cast(f_score as varchar) || cast(m_score as varchar) as rfm_score,
        -- the first matching rule wins; the last one catches every combination left
        case
            when r_score >= 4 and f_score >= 4 and m_score >= 4 then 'Champions'
            when r_score >= 3 and f_score >= 4 then 'Loyal Customers'
            when r_score >= 4 and f_score >= 2 then 'Potential Loyalists'
            when r_score >= 4 then 'New Customers'
            when r_score = 3 and f_score <= 2 then 'Promising'
            when r_score = 3 then 'Need Attention'
            when f_score >= 3 then 'At Risk'
            else 'Hibernating'
        end as rfm_segment
    from scored

),

final as (

    select
        segmented.customer_id,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.country,
        segmented.last_revenue_order_at,
        segmented.recency_days,
        segmented.frequency,
        segmented.monetary,
        segmented.r_score,
        segmented.f_score,
        segmented.m_score,
        segmented.rfm_score,
        segmented.rfm_segment,
        favourite_categories.favourite_category
    from segmented
    inner join customers
        on segmented.customer_id = customers.customer_id
    left join favourite_categories
        on segmented.customer_id = favourite_categories.customer_id

)

select * from final

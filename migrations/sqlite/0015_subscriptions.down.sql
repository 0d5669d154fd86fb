DROP TABLE invoices;
DROP TABLE subscriptions;

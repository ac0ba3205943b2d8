module tenantguard.local/loadgen

go 1.26

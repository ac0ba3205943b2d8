module tenantguard.local/floorhook

go 1.26
